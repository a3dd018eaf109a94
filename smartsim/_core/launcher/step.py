"""Step: one job ready to launch (argv, directory, environment, output files). Plain data."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class Step:
    """Everything a launcher needs to start one job, built from an entity and its settings."""

    name: str
    """Name of the entity (model, member or shard) the job runs."""
    entity_type: str
    """Kind shown in summaries: Model, DBNode, ..."""
    argv: list[str]
    cwd: str
    env: dict[str, str] = field(default_factory=dict)
    """Variables set on top of the driver's environment."""

    @property
    def out_file(self) -> str:
        """Where the job's stdout goes: ``<cwd>/<name>.out``."""
        return os.path.join(self.cwd, f"{self.name}.out")

    @property
    def err_file(self) -> str:
        """Where the job's stderr goes: ``<cwd>/<name>.err``."""
        return os.path.join(self.cwd, f"{self.name}.err")
