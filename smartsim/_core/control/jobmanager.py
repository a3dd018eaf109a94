"""JobManager: the record of every launched job and the place to wait for them."""

from __future__ import annotations

import threading
import time
import typing as t

from smartsim._core.control.job import Job, JobRun
from smartsim.status import TERMINAL_STATUSES, SmartSimStatus

_ORDER = {
    SmartSimStatus.STATUS_NEW: 0,
    SmartSimStatus.STATUS_QUEUED: 1,
    SmartSimStatus.STATUS_RUNNING: 2,
    SmartSimStatus.STATUS_PAUSED: 2,
}
"""Non-terminal statuses in the order a job passes through them; Paused ranks as Running
(a job may go back and forth between them)."""


class JobManager:
    """Thread-safe job table, updated by launchers' exit callbacks, waited on by the driver."""

    def __init__(self, on_end: t.Callable[[JobRun], None] | None = None) -> None:
        """
        :param on_end: called with each run whose status becomes terminal (under the
            manager's lock, so it must not call the manager)
        """
        self._on_end = on_end
        self._cond = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._runs_by_id: dict[str, JobRun] = {}
        self._early_exits: dict[str, int | None] = {}
        self._early_statuses: dict[str, tuple[SmartSimStatus, int | None]] = {}

    def add_run(
        self,
        name: str,
        entity_type: str,
        is_db: bool,
        job_id: str,
        launcher: str,
        start_time: float | None = None,
    ) -> JobRun:
        """Record a new run of entity ``name`` (RunID = number of earlier runs).

        :param start_time: time.monotonic() just before the launch (default: now)
        """
        with self._cond:
            job = self._jobs.get(name)
            if job is None:
                job = self._jobs[name] = Job(name, entity_type, is_db)
            run = JobRun(job_id, launcher)
            if start_time is not None:
                run.start_time = start_time
            job.runs.append(run)
            self._runs_by_id[job_id] = run
            # A launcher may report before the launch is recorded: a status it gave first
            # is where the run starts (e.g. Queued), and an exit ends it at once.
            status = self._early_statuses.pop(job_id, None)
            if status is not None and status[0] not in TERMINAL_STATUSES:
                run.status = status[0]
            elif status is not None:
                self._finish(run, status[1], status[0])
            if job_id in self._early_exits:
                self._finish(run, self._early_exits.pop(job_id))
            return run

    def on_exit(self, job_id: str, returncode: int | None) -> None:
        """Launcher callback: job ``job_id`` ended with ``returncode``."""
        with self._cond:
            run = self._runs_by_id.get(job_id)
            if run is None:
                # The child exited before its launch was recorded; add_run applies this.
                self._early_exits[job_id] = returncode
                return
            self._finish(run, returncode)

    def on_status(self, job_id: str, status: SmartSimStatus, returncode: int | None) -> None:
        """Launcher callback: a scheduler's status for ``job_id`` (it only moves forward)."""
        with self._cond:
            run = self._runs_by_id.get(job_id)
            if run is None:
                self._early_statuses[job_id] = (status, returncode)
                return
            if status in TERMINAL_STATUSES:
                self._finish(run, returncode, status)
            elif not run.finished and _ORDER.get(status, 0) >= _ORDER.get(run.status, 0):
                run.status = status
                self._cond.notify_all()

    def _finish(
        self, run: JobRun, returncode: int | None, status: SmartSimStatus | None = None
    ) -> None:
        if run.stopping:
            status = SmartSimStatus.STATUS_CANCELLED
        elif status is None:
            status = (
                SmartSimStatus.STATUS_COMPLETED if returncode == 0 else SmartSimStatus.STATUS_FAILED
            )
        self._end(run, status, returncode)
        self._cond.notify_all()

    def _end(self, run: JobRun, status: SmartSimStatus, returncode: int | None) -> None:
        """Finish ``run`` (once: a terminal status is final) and tell ``on_end``."""
        if run.finished:
            return
        run.finish(status, returncode)
        if self._on_end is not None:
            self._on_end(run)

    def mark_stopping(self, names: t.Iterable[str]) -> dict[str, list[str]]:
        """Flag the running jobs of these entities as being stopped; job ids by launcher."""
        by_launcher: dict[str, list[str]] = {}
        with self._cond:
            for name in names:
                job = self._jobs.get(name)
                if job is None or job.current.finished:
                    continue
                job.current.stopping = True
                by_launcher.setdefault(job.current.launcher, []).append(job.current.job_id)
        return by_launcher

    def cancel(self, returncodes: dict[str, int | None]) -> None:
        """Mark stopped jobs Cancelled with their return codes (None when not known)."""
        with self._cond:
            for job_id, returncode in returncodes.items():
                run = self._runs_by_id.get(job_id)
                if run is not None:
                    self._end(run, SmartSimStatus.STATUS_CANCELLED, returncode)
            self._cond.notify_all()

    def get(self, name: str) -> Job | None:
        """The job of entity ``name``, if it was ever launched."""
        with self._cond:
            return self._jobs.get(name)

    def running(self, names: t.Iterable[str] | None = None, include_db: bool = True) -> list[str]:
        """Names of entities whose latest run has not finished."""
        with self._cond:
            jobs = (
                self._jobs.values() if names is None else filter(None, map(self._jobs.get, names))
            )
            return [
                job.name
                for job in jobs
                if not job.current.finished and (include_db or not job.is_db)
            ]

    def wait(
        self, names: list[str] | None, timeout: float | None, include_db: bool = False
    ) -> bool:
        """Block until the named (default: all non-DB) jobs finish; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self.running(names, include_db):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def jobs(self) -> list[Job]:
        """All jobs, entities first and databases after, each in launch order."""
        with self._cond:
            jobs = list(self._jobs.values())
        return [j for j in jobs if not j.is_db] + [j for j in jobs if j.is_db]
