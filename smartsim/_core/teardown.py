"""``smart teardown``: stop what a driver that died left running, from its job record."""

from __future__ import annotations

import time
from dataclasses import replace

import psutil

from smartsim._core.config import get_config
from smartsim._core.control.jobrecord import JobEntry, read, this_host
from smartsim._core.launcher import create_launcher, launcher_class
from smartsim._core.launcher.wlm import WLMLauncher
from smartsim._core.utils.process import (
    is_same_process,
    marked_processes,
    marker_of,
    terminate_trees,
    wait_gone,
)
from smartsim.status import TERMINAL_STATUSES

_START_SLACK = 1.0
"""Seconds a process's start time may differ from the recorded one (the boot time psutil
derives it from moves with wall-clock adjustments); a pid reused within this, by a process
with the same command line or the job's marker, is not a concern."""


def _recorded_process(entry: JobEntry) -> psutil.Process | None:
    """The recorded local job's process if it still runs as that same process, else None.

    A pid is trusted only when its start time matches the recorded one within
    ``_START_SLACK`` and its command line (or, for a job that exec'd, its job marker) does
    too: a later, unrelated process that reuses the pid is left alone, as is a job recorded
    without that identity.
    """
    identity = entry.identity()
    if entry.launcher != "local" or entry.host != this_host() or identity is None:
        return None
    try:
        proc = psutil.Process(int(entry.job_id))
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
    except (psutil.Error, ValueError):
        return None
    return proc if is_same_process(proc, identity, _START_SLACK) else None


def _as_local(entry: JobEntry) -> JobEntry:
    """A local process a workload-manager launcher started (``local:<pid>``), as local."""
    if entry.job_id.startswith("local:"):
        return replace(entry, launcher="local", job_id=entry.job_id.split(":", 1)[1])
    return entry


def _local_entries(exp_path: str) -> list[JobEntry]:
    """Recorded processes of the experiment started on this host (running or not)."""
    entries = map(_as_local, read(exp_path))
    return [entry for entry in entries if entry.launcher == "local" and entry.host == this_host()]


def live_jobs(exp_path: str) -> list[JobEntry]:
    """Recorded processes of the experiment that still run on this host."""
    return [entry for entry in _local_entries(exp_path) if _recorded_process(entry)]


def _scheduler_groups(entries: list[JobEntry]) -> list[tuple[WLMLauncher, list[JobEntry]]]:
    """Recorded scheduler jobs (not local processes), with a launcher for each scheduler."""
    by_launcher: dict[str, list[JobEntry]] = {}
    for entry in entries:
        found = launcher_class(entry.launcher)
        through_scheduler = found is not None and issubclass(found, WLMLauncher)
        if through_scheduler and not entry.job_id.startswith("local:"):
            by_launcher.setdefault(entry.launcher, []).append(entry)
    groups = []
    for name, group in by_launcher.items():
        launcher = create_launcher(name, lambda job_id, rc: None)
        assert isinstance(launcher, WLMLauncher)
        groups.append((launcher, group))
    return groups


def _cancel_scheduler_jobs(entries: list[JobEntry]) -> list[JobEntry]:
    """Cancel recorded scheduler jobs that still run; the entries cancelled."""
    cancelled: list[JobEntry] = []
    for launcher, group in _scheduler_groups(entries):
        keys = set(launcher.cancel_leftovers([entry.job_id for entry in group]))
        cancelled += [entry for entry in group if entry.job_id in keys]
    return cancelled


def unfinished_scheduler_jobs(exp_path: str) -> list[str]:
    """Recorded scheduler jobs of the experiment that have not ended, as ``launcher job``
    (a scheduler that cannot be asked counts its jobs as not ended)."""
    unfinished = []
    for launcher, group in _scheduler_groups(read(exp_path)):
        jobs = sorted({entry.job_id.split(".", 1)[0] for entry in group})
        name = type(launcher).__name__
        infos = launcher.query_status(jobs)
        if infos is None:
            unfinished += [f"{name} {job} (its scheduler did not answer)" for job in jobs]
            continue
        unfinished += [
            f"{name} {job}"
            for job in jobs
            if job in infos and infos[job].status not in TERMINAL_STATUSES
        ]
    return unfinished


def teardown(exp_path: str) -> list[JobEntry]:
    """Stop every recorded job of the experiment still running (processes on this host,
    scheduler jobs through their scheduler); what was stopped.

    On this host that is each recorded process that is still the same process, and every
    process carrying a recorded job marker: those a job started, even outside its tree,
    and even when the job itself has ended.
    """
    local = _local_entries(exp_path)
    found = [(entry, _recorded_process(entry)) for entry in local]
    procs = {proc.pid: proc for _, proc in found if proc is not None}
    markers = {entry.marker for entry in local if entry.marker}
    strays = {marker_of(proc) for proc in marked_processes(markers)} - {None}
    stopped = [entry for entry, proc in found if proc is not None or entry.marker in strays]

    def wait_root(pid: int, timeout: float) -> bool:
        return not wait_gone([procs[pid]], time.monotonic() + timeout)

    terminate_trees(list(procs), get_config().stop_grace_period, wait_root, markers)
    return stopped + _cancel_scheduler_jobs(read(exp_path))
