"""Job: what the controller knows of one launched entity, run after run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from smartsim.status import TERMINAL_STATUSES, SmartSimStatus


@dataclass
class JobRun:
    """One launch of an entity: its job id, status, return code and timing."""

    job_id: str
    launcher: str
    status: SmartSimStatus = SmartSimStatus.STATUS_RUNNING
    returncode: int | None = None
    start_time: float = field(default_factory=time.monotonic)
    end_time: float | None = None
    stopping: bool = False
    """Set when we asked the job to stop, so that its exit is recorded as Cancelled."""

    @property
    def finished(self) -> bool:
        """True once the status is terminal."""
        return self.status in TERMINAL_STATUSES

    @property
    def elapsed(self) -> float:
        """Seconds from launch to exit (or to now while it runs)."""
        end = self.end_time if self.end_time is not None else time.monotonic()
        return end - self.start_time

    def finish(self, status: SmartSimStatus, returncode: int | None) -> None:
        """Record the end of the run; a terminal status is final."""
        if self.finished:
            return
        self.status = status
        self.returncode = returncode
        self.end_time = time.monotonic()


@dataclass
class Job:
    """An entity and all its runs; RunID is the index of a run."""

    name: str
    entity_type: str
    is_db: bool
    runs: list[JobRun] = field(default_factory=list)

    @property
    def current(self) -> JobRun:
        """The latest run."""
        return self.runs[-1]
