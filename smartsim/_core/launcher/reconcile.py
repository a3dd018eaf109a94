"""What one scheduler status answer means for each job a launcher follows, as a pure function.

:func:`reconcile` reads the launcher's records (:class:`Tracked`), one query's answer and the
time, and returns events; the launcher applies them (``event.apply(tracked)``) under its lock
and reports the news. Three things make it more than a lookup: steps are found by name (an
srun's unique ``--job-name``), the scheduler may end a step before our srun exits (its word
is held until then), and the scheduler's records lag behind what really happened, so an exit
or a job's end waits ``EXIT_GRACE`` seconds for the line that should follow it.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from smartsim.status import TERMINAL_STATUSES, SmartSimStatus

S = SmartSimStatus
EXIT_GRACE = 1.0
"""Seconds the scheduler's record may lag behind a local process's exit before its code wins."""


@dataclass(frozen=True)
class JobInfo:
    """What a status query says about one job or step."""

    status: SmartSimStatus
    returncode: int | None = None
    name: str = ""
    nodes: tuple[str, ...] = ()
    reason: str = ""
    """Why a queued job waits, in the scheduler's words (Slurm's ``Resources``); "" if none."""


@dataclass
class Tracked:
    """One job the launcher follows, as the controller knows it (``key``)."""

    key: str
    job: str | None
    """Scheduler job id: the allocation of a step, the batch job of a member; None for a
    plain local process."""
    step_name: str | None = None
    """Find the step of ``job`` with this name (None: follow ``job`` itself)."""
    step_id: str | None = None
    pid: int | None = None
    """The local process we started for it (srun, mpirun...), if any."""
    batch: bool = False
    status: SmartSimStatus = S.STATUS_QUEUED
    returncode: int | None = None
    nodes: tuple[str, ...] = ()
    reason: str = ""
    """Why the scheduler keeps the job (or its batch job) queued, as it last said."""
    listed_queued: bool = False
    """Whether the scheduler's last line about the job (or its batch job) said queued."""
    proc_rc: int | None = None
    proc_exited_at: float | None = None
    job_ended_at: float | None = None
    """When a status answer first said the job (the allocation or batch job) had ended."""
    pending: tuple[SmartSimStatus, int | None] | None = None
    """The scheduler's final word, held until our local process (srun) has exited too."""
    reported: bool = True
    """False while a submission has not returned its key yet: nothing is reported."""
    done: bool = False
    events: list[tuple[SmartSimStatus, int | None]] = field(default_factory=list)
    """News not reported yet: (status, return code) in order."""

    def finish(self, status: SmartSimStatus, returncode: int | None) -> None:
        """Record the final status; the first one counts, later ones are ignored."""
        if self.done:
            return
        self.done, self.status, self.returncode = True, status, returncode
        self.events.append((status, returncode))


@dataclass(frozen=True)
class StepFound:
    """The scheduler names the step of a job that was followed by its step name."""

    step_id: str

    def apply(self, tr: Tracked) -> None:
        """Follow the step by its id from now on."""
        tr.step_id = self.step_id


@dataclass(frozen=True)
class NodesSeen:
    """The scheduler names the nodes the job runs on."""

    nodes: tuple[str, ...]

    def apply(self, tr: Tracked) -> None:
        """Remember the nodes (for the job's address)."""
        tr.nodes = self.nodes


@dataclass(frozen=True)
class ReasonSeen:
    """The scheduler lists the job as queued (and why: "" when it says nothing), or, with
    ``queued`` False, no longer as queued."""

    reason: str
    queued: bool = True

    def apply(self, tr: Tracked) -> None:
        """Remember it (for progress messages, and to tell a wait the scheduler knows of)."""
        tr.reason, tr.listed_queued = self.reason, self.queued


@dataclass(frozen=True)
class JobEnded:
    """The job's own line (its allocation or batch job) said it had ended, at ``at``."""

    at: float

    def apply(self, tr: Tracked) -> None:
        """Start the grace period for the lines that should follow."""
        tr.job_ended_at = self.at


@dataclass(frozen=True)
class JobRequeued:
    """The job's own line, which had said it ended, says it is queued or runs again."""

    def apply(self, tr: Tracked) -> None:
        """Forget the end: the grace period no longer runs."""
        tr.job_ended_at = None


@dataclass(frozen=True)
class Held:
    """The scheduler ended the step while our srun still runs: its word waits for the exit."""

    status: SmartSimStatus
    returncode: int | None

    def apply(self, tr: Tracked) -> None:
        """Keep the scheduler's final word until the local exit."""
        tr.pending = (self.status, self.returncode)


@dataclass(frozen=True)
class Changed:
    """The job moved to a status that is not final (Queued, Running, Paused)."""

    status: SmartSimStatus

    def apply(self, tr: Tracked) -> None:
        """Take the status and queue it for reporting."""
        tr.status = self.status
        tr.events.append((self.status, None))


@dataclass(frozen=True)
class Finished:
    """The job ended with this status and return code."""

    status: SmartSimStatus
    returncode: int | None

    def apply(self, tr: Tracked) -> None:
        """Record the end (see :meth:`Tracked.finish`)."""
        tr.finish(self.status, self.returncode)


Event = StepFound | NodesSeen | ReasonSeen | JobEnded | JobRequeued | Held | Changed | Finished


def from_rc(returncode: int | None) -> Finished:
    """The end a local process's return code means: 0 Completed, anything else Failed."""
    return Finished(S.STATUS_COMPLETED if returncode == 0 else S.STATUS_FAILED, returncode)


def step_end(
    status: SmartSimStatus, returncode: int | None, srun_rc: int | None
) -> tuple[SmartSimStatus, int | None]:
    """How a step whose srun ran here ended: the scheduler's word, unless it says Completed
    while our srun failed. Slurm records a multi-task step as COMPLETED 0:0 when one task
    failed and srun ended the others (``--kill-on-bad-exit``); srun exits with that task's
    code."""
    if status == S.STATUS_COMPLETED and srun_rc not in (None, 0):
        return S.STATUS_FAILED, srun_rc
    return status, returncode


def reconcile(
    tracked: t.Iterable[Tracked], infos: t.Mapping[str, JobInfo] | None, now: float
) -> list[tuple[str, Event]]:
    """The events one status answer (None: the query failed) means for scheduler jobs that
    have not ended, as ``(key, event)`` in the order to apply them."""
    answer = infos or {}
    by_name = {
        (sched_id.split(".", 1)[0], info.name): sched_id
        for sched_id, info in answer.items()
        if "." in sched_id and info.name
    }
    return [
        (tr.key, event)
        for tr in tracked
        if not tr.done and tr.job is not None
        for event in _job_events(tr, answer, by_name, now)
    ]


def _job_events(
    tr: Tracked,
    infos: t.Mapping[str, JobInfo],
    by_name: t.Mapping[tuple[str, str], str],
    now: float,
) -> list[Event]:
    """The events of one job; see :func:`reconcile`."""
    assert tr.job is not None
    job_info = infos.get(tr.job)
    events: list[Event] = []
    step_id = tr.step_id
    if tr.step_name is not None and step_id is None:
        step_id = by_name.get((tr.job, tr.step_name))
        if step_id is not None:
            events.append(StepFound(step_id))
    if step_id is not None:
        info = infos.get(step_id)
    else:
        info = job_info if tr.step_name is None else None
    queued = info if info is not None else job_info  # a member waits on its batch job
    if queued is not None and queued.status == S.STATUS_QUEUED:
        if not tr.listed_queued or queued.reason != tr.reason:
            events.append(ReasonSeen(queued.reason))
    elif queued is not None and tr.listed_queued:
        events.append(ReasonSeen("", queued=False))
    events += _line_events(tr, info, job_info)
    if events and isinstance(events[-1], Finished):
        return events
    return events + _grace_events(tr, job_info, now)


def _line_events(tr: Tracked, info: JobInfo | None, job_info: JobInfo | None) -> list[Event]:
    """What the job's own line says; without one, a member runs once its batch job does."""
    if info is None:
        job_runs = job_info is not None and job_info.status == S.STATUS_RUNNING
        starts = job_runs and tr.pid is None and tr.status == S.STATUS_QUEUED
        return [Changed(S.STATUS_RUNNING)] if starts else []
    events: list[Event] = [NodesSeen(info.nodes)] if info.nodes and info.nodes != tr.nodes else []
    if info.status not in TERMINAL_STATUSES:
        return events + [Changed(info.status)] if info.status != tr.status else events
    if tr.pid is not None and tr.proc_exited_at is None:  # our srun has not exited yet
        held = tr.pending == (info.status, info.returncode)
        return events if held else events + [Held(info.status, info.returncode)]
    return events + [Finished(*step_end(info.status, info.returncode, tr.proc_rc))]


def _grace_events(tr: Tracked, job_info: JobInfo | None, now: float) -> list[Event]:
    """Ends the scheduler's records have not confirmed within EXIT_GRACE: our srun's exit,
    or the end of the job when no line of the member's own followed it."""
    events: list[Event] = []
    ended_at = tr.job_ended_at
    job_ended = job_info is not None and job_info.status in TERMINAL_STATUSES
    if job_ended and ended_at is None:
        ended_at = now
        events.append(JobEnded(now))
    elif job_info is not None and not job_ended and ended_at is not None:
        ended_at = None
        events.append(JobRequeued())
    if tr.proc_exited_at is not None and now - tr.proc_exited_at > EXIT_GRACE:
        return [*events, from_rc(tr.proc_rc)]
    proc_gone = tr.pid is None or tr.proc_exited_at is not None
    if proc_gone and ended_at is not None and now - ended_at > EXIT_GRACE and job_info is not None:
        # a job that completed without running its member has failed it
        status = job_info.status
        failed = S.STATUS_FAILED if status == S.STATUS_COMPLETED else status
        events.append(Finished(failed, job_info.returncode))
    return events
