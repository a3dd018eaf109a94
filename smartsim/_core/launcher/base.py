"""Launcher: turns Steps into running jobs, reports their exits, stops them."""

from __future__ import annotations

import abc
import typing as t

from smartsim._core.launcher.step import Step
from smartsim.settings.base import RunSettings

OnExit = t.Callable[[str, "int | None"], None]
"""``on_exit(job_id, returncode)``: how a launcher reports that a job ended by itself."""


class Launcher(abc.ABC):
    """One workload manager (or the local machine) as the controller sees it."""

    name: t.ClassVar[str]
    shards_share_host: t.ClassVar[bool] = False
    """True when every database shard runs on one host, so each needs its own port."""

    def __init__(self, on_exit: OnExit) -> None:
        self._on_exit = on_exit

    @abc.abstractmethod
    def argv(self, run_settings: RunSettings, cwd: str) -> list[str]:
        """The command that runs these settings with this launcher (pure, for previews too)."""

    @abc.abstractmethod
    def submit(self, step: Step) -> str:
        """Start the step and return its job id.

        :raises LauncherError: the job could not be started
        """

    @abc.abstractmethod
    def stop(self, job_ids: list[str]) -> dict[str, int | None]:
        """End these jobs and everything they started; once gone, their return codes."""

    @abc.abstractmethod
    def adopt(self, job_id: str) -> bool:
        """Watch a job started by an earlier driver (False when it is gone)."""

    def bind_addresses(self, interfaces: list[str]) -> list[str] | None:
        """Addresses database shards bind to, when the driver can know them in advance.

        None (the default) lets each shard resolve its interfaces on its own node.
        """
        return None
