"""JobManager: scheduler statuses move forward only; early reports; terminal is final."""

from __future__ import annotations

from smartsim._core.control.jobmanager import JobManager
from smartsim.status import SmartSimStatus

S = SmartSimStatus


def test_status_moves_forward_only():
    jobs = JobManager()
    jobs.on_status("1", S.STATUS_QUEUED, None)  # before the launch is recorded
    run = jobs.add_run("m", "Model", False, "1", "slurm")
    assert run.status == S.STATUS_QUEUED
    jobs.on_status("1", S.STATUS_RUNNING, None)
    jobs.on_status("1", S.STATUS_QUEUED, None)
    assert run.status == S.STATUS_RUNNING
    jobs.on_status("1", S.STATUS_PAUSED, None)
    assert run.status == S.STATUS_PAUSED
    jobs.on_status("1", S.STATUS_CANCELLED, -15)
    jobs.on_exit("1", 0)
    assert (run.status, run.returncode) == (S.STATUS_CANCELLED, -15)


def test_early_terminal_status_and_exit():
    jobs = JobManager()
    jobs.on_status("2", S.STATUS_FAILED, 0)
    assert jobs.add_run("a", "Model", False, "2", "slurm").status == S.STATUS_FAILED
    jobs.on_exit("3", 0)
    assert jobs.add_run("b", "Model", False, "3", "slurm").status == S.STATUS_COMPLETED


def test_stopping_job_ends_cancelled_whatever_the_scheduler_says():
    jobs = JobManager()
    run = jobs.add_run("m", "Model", False, "4", "pbs")
    jobs.mark_stopping(["m"])
    jobs.on_status("4", S.STATUS_FAILED, 1)
    assert run.status == S.STATUS_CANCELLED
