"""Step: one job ready to launch (argv, directory, environment, output files). Plain data.

A BatchStep groups steps that a workload manager runs inside one batch job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from smartsim.settings.base import BatchSettings


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


@dataclass
class BatchStep:
    """Several steps submitted together as one batch job (a batch model, ensemble or DB)."""

    name: str
    """Name of the batch job (the model's, ensemble's or database's)."""
    cwd: str
    """Where the batch script and the job's own output files are written."""
    batch_settings: BatchSettings
    steps: list[Step]
    """The members, run side by side inside the job."""

    @property
    def out_file(self) -> str:
        """The batch job's own stdout: ``<cwd>/<name>.out``."""
        return os.path.join(self.cwd, f"{self.name}.out")

    @property
    def err_file(self) -> str:
        """The batch job's own stderr: ``<cwd>/<name>.err``."""
        return os.path.join(self.cwd, f"{self.name}.err")


def in_dir_with_output(step: Step) -> list[str]:
    """A command that runs ``step.argv`` in its directory, with its variables and output files.

    For runners that take an argv but no directory, environment or files of their own: the
    lines of a batch script, a Dragon process.
    """
    env = [f"{name}={value}" for name, value in step.env.items()]
    script = 'cd "$0" || exit 1; out=$1; err=$2; shift 2; exec "$@" >"$out" 2>"$err"'
    inner = ["sh", "-c", script, step.cwd, step.out_file, step.err_file, *step.argv]
    return ["env", *env, *inner] if env else inner
