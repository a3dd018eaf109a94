"""``smart teardown``: stop what a driver that died left running, from its job record."""

from __future__ import annotations

import time
from dataclasses import replace

import psutil

from smartsim._core.config import get_config
from smartsim._core.control.jobrecord import JobEntry, read, this_host
from smartsim._core.launcher import create_launcher, launcher_class
from smartsim._core.launcher.wlm import WLMLauncher
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


def _as_local(entry: JobEntry) -> JobEntry:
    """A local process a workload-manager launcher started (``local:<pid>``), as local."""
    if entry.job_id.startswith("local:"):
        return replace(entry, launcher="local", job_id=entry.job_id.split(":", 1)[1])
    return entry


def live_jobs(exp_path: str) -> list[JobEntry]:
    """Recorded processes of the experiment that still run on this host."""
    return [entry for entry in map(_as_local, read(exp_path)) if _still_ours(entry)]


def _cancel_scheduler_jobs(entries: list[JobEntry]) -> list[JobEntry]:
    """Cancel recorded scheduler jobs that still run; the entries cancelled."""
    by_launcher: dict[str, list[JobEntry]] = {}
    for entry in entries:
        found = launcher_class(entry.launcher)
        through_scheduler = found is not None and issubclass(found, WLMLauncher)
        if through_scheduler and not entry.job_id.startswith("local:"):
            by_launcher.setdefault(entry.launcher, []).append(entry)
    cancelled: list[JobEntry] = []
    for name, group in by_launcher.items():
        launcher = create_launcher(name, lambda job_id, rc: None)
        assert isinstance(launcher, WLMLauncher)
        keys = set(launcher.cancel_leftovers([entry.job_id for entry in group]))
        cancelled += [entry for entry in group if entry.job_id in keys]
    return cancelled


def teardown(exp_path: str) -> list[JobEntry]:
    """Stop every recorded job of the experiment still running (processes on this host,
    scheduler jobs through their scheduler); what was stopped."""
    jobs = live_jobs(exp_path)
    procs = {int(job.job_id): psutil.Process(int(job.job_id)) for job in jobs}

    def wait_root(pid: int, timeout: float) -> bool:
        return not wait_gone([procs[pid]], time.monotonic() + timeout)

    terminate_trees(list(procs), get_config().stop_grace_period, wait_root)
    return jobs + _cancel_scheduler_jobs(read(exp_path))
