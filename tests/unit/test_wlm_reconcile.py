"""reconcile(): the events one status answer means for each followed job, as tables."""

from __future__ import annotations

import pytest

from smartsim._core.launcher.reconcile import (
    EXIT_GRACE,
    Changed,
    Finished,
    Held,
    JobEnded,
    JobInfo,
    JobRequeued,
    NodesSeen,
    ReasonSeen,
    StepFound,
    Tracked,
    reconcile,
    step_end,
)
from smartsim.status import SmartSimStatus

S = SmartSimStatus
QUEUED, RUNNING, COMPLETED = S.STATUS_QUEUED, S.STATUS_RUNNING, S.STATUS_COMPLETED
FAILED, CANCELLED = S.STATUS_FAILED, S.STATUS_CANCELLED
EXITED = 10.0
"""When the local process (srun) exited in the rows that have one."""
LATE = EXITED + EXIT_GRACE + 0.5
"""A time past the grace period that follows EXITED."""


def step(**fields: object) -> Tracked:
    """An srun we started (pid 9) in allocation 5, followed by its job name ``s-1``."""
    return Tracked("5.s-1", "5", step_name="s-1", pid=9, **fields)  # type: ignore[arg-type]


def batch(**fields: object) -> Tracked:
    """Batch job 77, followed by its own line."""
    return Tracked("77", "77", batch=True, **fields)  # type: ignore[arg-type]


def member(**fields: object) -> Tracked:
    """Member ``m`` of batch job 77, followed by the step that bears its name."""
    return Tracked("77.m", "77", step_name="m", batch=True, **fields)  # type: ignore[arg-type]


def line(status: SmartSimStatus, rc: int | None = None, name: str = "", *nodes: str) -> JobInfo:
    """One line of a status answer."""
    return JobInfo(status, rc, name, tuple(nodes))


ROWS = {
    # -- a job's life ---------------------------------------------------------------------------
    "batch job starts": (
        batch(), {"77": line(RUNNING, None, "b", "n1")}, 0.0,
        [NodesSeen(("n1",)), Changed(RUNNING)],
    ),
    "batch job queued, and the scheduler says why": (
        batch(), {"77": JobInfo(QUEUED, None, "b", (), "Resources")}, 0.0,
        [ReasonSeen("Resources")],
    ),
    "a member waits on its batch job's reason": (
        member(), {"77": JobInfo(QUEUED, None, "b", (), "Priority")}, 0.0,
        [ReasonSeen("Priority")],
    ),
    "listed as queued without a reason": (
        batch(), {"77": line(QUEUED, None, "b")}, 0.0, [ReasonSeen("")],
    ),
    "the same reason again: nothing new": (
        batch(reason="Resources", listed_queued=True),
        {"77": JobInfo(QUEUED, None, "b", (), "Resources")}, 0.0, [],
    ),
    "not listed at all (accounting lags): nothing new": (batch(), {}, 0.0, []),
    "a queued job starts: it is no longer listed as queued": (
        batch(reason="Resources", listed_queued=True), {"77": line(RUNNING, None, "b", "n1")},
        0.0, [ReasonSeen("", queued=False), NodesSeen(("n1",)), Changed(RUNNING)],
    ),
    "batch job runs on: nothing new": (
        batch(status=RUNNING, nodes=("n1",)), {"77": line(RUNNING, None, "b", "n1")}, 0.0, [],
    ),
    "batch job completes": (
        batch(status=RUNNING), {"77": line(COMPLETED, 0)}, 0.0, [Finished(COMPLETED, 0)],
    ),
    "batch job fails with its code": (
        batch(status=RUNNING), {"77": line(FAILED, 3)}, 0.0, [Finished(FAILED, 3)],
    ),
    "step found by its name among others": (
        step(),
        {"5": line(RUNNING), "5.0": line(RUNNING, None, "s-1", "n1"),
         "5.1": line(RUNNING, None, "other", "n2"), "6.0": line(RUNNING, None, "s-1")},
        0.0,
        [StepFound("5.0"), NodesSeen(("n1",)), Changed(RUNNING)],
    ),
    "step not recorded yet: its allocation's line says nothing of it": (
        step(), {"5": line(RUNNING)}, 0.0, [],
    ),
    "member not recorded yet: runs once its batch job does": (
        member(), {"77": line(RUNNING)}, 0.0, [Changed(RUNNING)],
    ),
    "done and local jobs are not the scheduler's": (
        batch(status=COMPLETED, done=True), {"77": line(FAILED, 1)}, 0.0, [],
    ),
    # -- srun exits before sacct records it -----------------------------------------------------
    "srun exited, sacct still says running: within the grace period": (
        step(step_id="5.0", status=RUNNING, proc_exited_at=EXITED, proc_rc=0),
        {"5": line(RUNNING), "5.0": line(RUNNING, None, "s-1")}, EXITED + 0.5, [],
    ),
    "srun exited, sacct still says running: after the grace period its code wins": (
        step(step_id="5.0", status=RUNNING, proc_exited_at=EXITED, proc_rc=0),
        {"5": line(RUNNING), "5.0": line(RUNNING, None, "s-1")}, LATE,
        [Finished(COMPLETED, 0)],
    ),
    "srun exited before its step was ever recorded": (
        step(proc_exited_at=EXITED, proc_rc=2), {"5": line(RUNNING)}, LATE,
        [Finished(FAILED, 2)],
    ),
    "sacct ends the step after srun exited: its line wins over the code": (
        step(step_id="5.0", status=RUNNING, proc_exited_at=EXITED, proc_rc=0),
        {"5.0": line(FAILED, 1, "s-1")}, EXITED + 0.1, [Finished(FAILED, 1)],
    ),
    "sacct says completed but srun failed (a task failed, srun ended the others)": (
        step(step_id="5.0", status=RUNNING, proc_exited_at=EXITED, proc_rc=247),
        {"5.0": line(COMPLETED, 0, "s-1")}, EXITED + 0.1, [Finished(FAILED, 247)],
    ),
    "sacct ends the step while srun runs: held until srun exits": (
        step(step_id="5.0", status=RUNNING), {"5.0": line(CANCELLED, -9, "s-1")}, 0.0,
        [Held(CANCELLED, -9)],
    ),
    "the held word is not repeated": (
        step(step_id="5.0", status=RUNNING, pending=(CANCELLED, -9)),
        {"5.0": line(CANCELLED, -9, "s-1")}, 0.0, [],
    ),
    # -- the allocation line lags ---------------------------------------------------------------
    "step ended while its allocation's line still says running": (
        step(step_id="5.0", status=RUNNING, proc_exited_at=EXITED, proc_rc=0),
        {"5": line(RUNNING), "5.0": line(COMPLETED, 0, "s-1")}, EXITED + 0.1,
        [Finished(COMPLETED, 0)],
    ),
    "batch job ended before its member's step line came": (
        member(status=RUNNING), {"77": line(COMPLETED, 0)}, 20.0, [JobEnded(20.0)],
    ),
    "the member's step line comes within the grace period": (
        member(status=RUNNING, job_ended_at=20.0),
        {"77": line(COMPLETED, 0), "77.0": line(COMPLETED, 0, "m")}, 20.5,
        [StepFound("77.0"), Finished(COMPLETED, 0)],
    ),
    "no step line after the grace period: a completed job failed its member": (
        member(status=RUNNING, job_ended_at=20.0), {"77": line(COMPLETED, 0)},
        20.0 + EXIT_GRACE + 0.5, [Finished(FAILED, 0)],
    ),
    "no step line after the grace period: a cancelled job cancelled its member": (
        member(status=RUNNING, job_ended_at=20.0), {"77": line(CANCELLED, -15)},
        20.0 + EXIT_GRACE + 0.5, [Finished(CANCELLED, -15)],
    ),
    # -- a job vanishes -------------------------------------------------------------------------
    "batch job missing from the answer: stays as last seen": (
        batch(status=RUNNING), {}, 0.0, [],
    ),
    "failed query: nothing changes": (batch(status=RUNNING), None, 0.0, []),
    "step gone from the answer after its srun exited: its code wins after the grace": (
        step(step_id="5.0", status=RUNNING, proc_exited_at=EXITED, proc_rc=0), {}, LATE,
        [Finished(COMPLETED, 0)],
    ),
    "job line gone after it said the job ended: waits for it": (
        member(status=RUNNING, job_ended_at=20.0), {}, 30.0, [],
    ),
    # -- a requeue ------------------------------------------------------------------------------
    "running batch job requeued": (
        batch(status=RUNNING, nodes=("n1",)), {"77": line(QUEUED)}, 0.0,
        [ReasonSeen(""), Changed(QUEUED)],
    ),
    "requeued batch job runs again elsewhere": (
        batch(status=QUEUED, nodes=("n1",)), {"77": line(RUNNING, None, "b", "n2")}, 0.0,
        [NodesSeen(("n2",)), Changed(RUNNING)],
    ),
    "member's batch job requeued after its line said it ended: the end is forgotten": (
        member(status=RUNNING, job_ended_at=20.0), {"77": line(QUEUED)},
        20.0 + EXIT_GRACE + 0.5, [ReasonSeen(""), JobRequeued()],
    ),
}  # fmt: skip


@pytest.mark.parametrize(("tracked", "infos", "now", "events"), ROWS.values(), ids=ROWS.keys())
def test_reconcile(tracked: Tracked, infos: dict | None, now: float, events: list) -> None:
    assert reconcile([tracked], infos, now) == [(tracked.key, event) for event in events]


def test_local_processes_are_left_to_their_exit() -> None:
    local = Tracked("local:4", None, pid=4, status=RUNNING, proc_exited_at=EXITED, proc_rc=0)
    assert reconcile([local], {}, LATE) == []


def test_events_come_job_by_job_and_records_are_not_touched() -> None:
    first, second = batch(), step(step_id="5.0", status=RUNNING)
    infos = {"77": line(RUNNING), "5.0": line(COMPLETED, 0, "s-1")}
    before = (repr(first), repr(second))
    assert reconcile([first, second], infos, 0.0) == [
        ("77", Changed(RUNNING)),
        ("5.s-1", Held(COMPLETED, 0)),
    ]
    assert (repr(first), repr(second)) == before


def test_applied_events_settle() -> None:
    """Applying an answer's events leaves nothing new to say about the same answer."""
    tracked = step()
    answer = {"5": line(RUNNING), "5.0": line(RUNNING, None, "s-1", "n1")}
    for _, event in reconcile([tracked], answer, 0.0):
        event.apply(tracked)
    assert (tracked.step_id, tracked.status, tracked.nodes) == ("5.0", RUNNING, ("n1",))
    assert tracked.events == [(RUNNING, None)]
    assert reconcile([tracked], answer, 0.1) == []


def test_a_held_completion_yields_to_a_failed_srun() -> None:
    assert step_end(COMPLETED, 0, 247) == (FAILED, 247)
    assert step_end(COMPLETED, 0, 0) == (COMPLETED, 0)
    assert step_end(CANCELLED, -15, 143) == (CANCELLED, -15)
    assert step_end(FAILED, 1, None) == (FAILED, 1)
