"""DBNode: one shard of an Orchestrator, launched as its own job."""

from __future__ import annotations

import typing as t

from smartsim.entity.entity import SmartSimEntity

if t.TYPE_CHECKING:
    from smartsim.settings.base import RunSettings


class DBNode(SmartSimEntity):
    """A database shard: where it listens (hosts, port) once launched."""

    def __init__(self, name: str, path: str, run_settings: RunSettings | None, port: int) -> None:
        super().__init__(name, path, run_settings)
        self.port = port
        self.hosts: list[str] = []
        """Addresses the shard listens on (filled in at launch)."""

    @property
    def ports(self) -> list[int]:
        """The shard's ports (one per shard here)."""
        return [self.port]

    @property
    def address(self) -> str:
        """``host:port`` that clients use, once launched."""
        if not self.hosts:
            raise ValueError(f"Database shard {self.name} has not been launched")
        return f"{self.hosts[0]}:{self.port}"
