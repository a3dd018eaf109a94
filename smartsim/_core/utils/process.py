"""Process-tree helpers: end a job and everything it started, then make sure it is gone.

Every job the library starts carries a marker in its environment (``SMARTSIM_JOB``, a random
token per job), which every process it starts inherits. A process that left the job's
process group and session, and whose parent died (a double-forked ``setsid`` daemon), is no
longer in the job's tree: the marker is how it is still found and ended with the job.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
import typing as t
from dataclasses import dataclass

import psutil

WaitRoot = t.Callable[[int, float], bool]
"""``wait_root(pid, timeout) -> exited``: waits on one of our own children (its Popen)."""

JOB_MARKER = "SMARTSIM_JOB"
"""The environment variable that tells which job a process belongs to."""


def new_marker() -> str:
    """A fresh value of :data:`JOB_MARKER` for one job (unguessable, never reused)."""
    return secrets.token_hex(12)


def _marker_in(environ: bytes) -> str | None:
    """The job marker in a raw ``/proc/<pid>/environ`` block, if any."""
    key = JOB_MARKER.encode() + b"="
    for item in environ.split(b"\0"):
        if item.startswith(key):
            return item[len(key) :].decode(errors="replace")
    return None


def marker_of(proc: psutil.Process) -> str | None:
    """The job marker in a process's environment (None: none, gone, or not ours to read)."""
    try:
        return proc.environ().get(JOB_MARKER)
    except psutil.Error:
        return None


def marked_processes(markers: t.Collection[str]) -> list[psutil.Process]:
    """Every live process (but this one) whose environment carries one of ``markers``.

    Only processes of this user can be read, which is all a job can start. Linux reads
    ``/proc`` directly (about 50 us a process); elsewhere psutil does.
    """
    if not markers:
        return []
    me = os.getpid()
    found = []
    if sys.platform.startswith("linux"):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as handle:
                    marker = _marker_in(handle.read())
                if marker in markers:
                    found.append(psutil.Process(int(entry.name)))
            except (OSError, psutil.Error):
                continue
        return found
    for proc in psutil.process_iter():
        if proc.pid != me and marker_of(proc) in markers:
            found.append(proc)
    return found


@dataclass(frozen=True)
class ProcessIdentity:
    """What tells a job's process apart from a later one that reuses its pid."""

    started_at: float
    """The process's start time (psutil's ``create_time``, seconds since the epoch)."""
    cmdline: list[str]
    """Its command line as the system showed it at launch (after any shebang)."""
    marker: str
    """Its job marker (see :data:`JOB_MARKER`)."""


def identify(pid: int, marker: str) -> ProcessIdentity | None:
    """The identity of a process we just started (None if it is already gone)."""
    try:
        proc = psutil.Process(pid)  # reads the start time (not oneshot: slower for two)
        try:
            cmdline = proc.cmdline()
        except psutil.ZombieProcess:
            cmdline = []  # exited already: the start time alone identifies it
        return ProcessIdentity(proc.create_time(), cmdline, marker)
    except psutil.Error:
        return None


def is_same_process(proc: psutil.Process, identity: ProcessIdentity, slack: float) -> bool:
    """Whether ``proc`` is the process ``identity`` recorded, not a later one with its pid.

    Its start time must match within ``slack`` seconds, and its command line must too, or
    its environment carry the job's marker (a job that exec'd shows another command line).
    """
    try:
        if abs(proc.create_time() - identity.started_at) > slack:
            return False
        return proc.cmdline() == identity.cmdline or marker_of(proc) == identity.marker
    except psutil.Error:
        return False


def descendants(pid: int) -> list[psutil.Process]:
    """All live descendants of ``pid`` (empty when it is gone)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(procs: list[psutil.Process], deadline: float) -> list[psutil.Process]:
    """Wait until every process has exited (a zombie counts as exited); return the others.

    Not psutil.wait_procs: it would reap our own children behind their Popen's back, and it
    counts zombies, which an init that does not reap (as in some containers) leaves behind.
    """
    alive = [p for p in procs if not _gone(p)]
    delay = 0.002
    while alive and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
        alive = [p for p in alive if not _gone(p)]
    return alive


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_procs(procs: t.Iterable[psutil.Process], sig: int) -> None:
    for proc in procs:
        try:
            proc.send_signal(sig)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass


def terminate_trees(
    pids: t.Iterable[int], grace: float, wait_root: WaitRoot, markers: t.Collection[str] = ()
) -> None:
    """SIGTERM each job's process group and tree, SIGKILL what is left after ``grace`` s.

    Each pid leads its own session (its group id is its pid), so the group signal reaches
    descendants even after they are reparented; the tree walk made first catches those that
    moved to another group, and ``markers`` (the jobs' :data:`JOB_MARKER` values) those that
    left both the group and the tree. Returns once every process is gone.
    """
    roots = list(pids)
    tree = [proc for pid in roots for proc in descendants(pid)]
    tree += _new(marked_processes(markers), roots, tree)
    for pid in roots:
        _signal_group(pid, signal.SIGTERM)
    _signal_procs(tree, signal.SIGTERM)

    deadline = time.monotonic() + grace
    stubborn = [pid for pid in roots if not wait_root(pid, max(0.0, deadline - time.monotonic()))]
    tree_alive = wait_gone(tree, deadline)
    tree_alive += _new(marked_processes(markers), roots, tree_alive)  # started meanwhile
    if not stubborn and not tree_alive:
        return
    for pid in roots:
        _signal_group(pid, signal.SIGKILL)
    _signal_procs(tree_alive, signal.SIGKILL)
    for pid in stubborn:
        wait_root(pid, grace)
    wait_gone(tree_alive, time.monotonic() + grace)


def _new(
    found: list[psutil.Process], roots: list[int], known: list[psutil.Process]
) -> list[psutil.Process]:
    """The processes of ``found`` that are neither roots nor already ``known``."""
    seen = set(roots) | {proc.pid for proc in known}
    return [proc for proc in found if proc.pid not in seen]
