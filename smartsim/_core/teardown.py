"""``smart teardown``: stop what a driver that died left running, from its job record."""

from __future__ import annotations

import time

import psutil

from smartsim._core.config import get_config
from smartsim._core.control.jobrecord import JobEntry, read, this_host
from smartsim._core.utils.process import terminate_trees, wait_gone

_CLOCK_SLACK = 2.0
"""Seconds a process may seem to start before its recorded launch (clock granularity)."""


def _still_ours(entry: JobEntry) -> bool:
    """Whether the recorded local job still runs as the same process (not a reused pid)."""
    if entry.launcher != "local" or entry.host != this_host():
        return False
    try:
        proc = psutil.Process(int(entry.job_id))
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return proc.create_time() >= entry.launched_at - _CLOCK_SLACK
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def live_jobs(exp_path: str) -> list[JobEntry]:
    """Recorded jobs of the experiment that still run on this host."""
    return [entry for entry in read(exp_path) if _still_ours(entry)]


def teardown(exp_path: str) -> list[JobEntry]:
    """Stop every recorded job of the experiment still running here; what was stopped."""
    jobs = live_jobs(exp_path)
    procs = {int(job.job_id): psutil.Process(int(job.job_id)) for job in jobs}

    def wait_root(pid: int, timeout: float) -> bool:
        return not wait_gone([procs[pid]], time.monotonic() + timeout)

    terminate_trees(list(procs), get_config().stop_grace_period, wait_root)
    return jobs
