"""Process-tree helpers: end a job and everything it started, then make sure it is gone."""

from __future__ import annotations

import os
import signal
import time
import typing as t

import psutil

WaitRoot = t.Callable[[int, float], bool]
"""``wait_root(pid, timeout) -> exited``: waits on one of our own children (its Popen)."""


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


def terminate_trees(pids: t.Iterable[int], grace: float, wait_root: WaitRoot) -> None:
    """SIGTERM each job's process group and tree, SIGKILL what is left after ``grace`` s.

    Each pid leads its own session (its group id is its pid), so the group signal reaches
    descendants even after they are reparented; the tree walk made first catches those that
    moved to another group. Returns once every process is gone.
    """
    roots = list(pids)
    tree = [proc for pid in roots for proc in descendants(pid)]
    for pid in roots:
        _signal_group(pid, signal.SIGTERM)
    _signal_procs(tree, signal.SIGTERM)

    deadline = time.monotonic() + grace
    stubborn = [pid for pid in roots if not wait_root(pid, max(0.0, deadline - time.monotonic()))]
    tree_alive = wait_gone(tree, deadline)
    if not stubborn and not tree_alive:
        return
    for pid in roots:
        _signal_group(pid, signal.SIGKILL)
    _signal_procs(tree_alive, signal.SIGKILL)
    for pid in stubborn:
        wait_root(pid, grace)
    wait_gone(tree_alive, time.monotonic() + grace)
