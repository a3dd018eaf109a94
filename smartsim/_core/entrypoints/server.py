"""What the shard and colocated entrypoints share: the server's argv and its process.

These run inside the processes the library launches, not in the driver. They import only
``os``/``signal``/``ctypes``: a shard's start-up time is mostly Python's own, so the server
is spawned before anything heavier is loaded.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

WORKER_MODULE = "smartsim._core.inference.worker"
"""The inference worker every database server gets beside it."""
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
_PR_SET_PDEATHSIG = 1


def server_argv(
    exe: str,
    *,
    port: int,
    workdir: str,
    bind: list[str] | None = None,
    unix_socket: str | None = None,
    socket_permissions: int | None = None,
    cluster_config_file: str | None = None,
    db_conf: dict[str, str] | None = None,
) -> list[str]:
    """The server command: persistence off unless configured, no daemon, config as flags."""
    argv = [exe, "--port", str(port), "--daemonize", "no", "--protected-mode", "no"]
    argv += ["--save", "", "--appendonly", "no", "--dir", workdir]
    if bind:
        argv += ["--bind", *bind]
    if unix_socket:
        argv += ["--unixsocket", unix_socket]
        if socket_permissions is not None:
            argv += ["--unixsocketperm", str(socket_permissions)]
    if cluster_config_file:
        argv += ["--cluster-enabled", "yes", "--cluster-config-file", cluster_config_file]
    for key, value in (db_conf or {}).items():
        argv += [f"--{key}", value]
    return argv


def spawn(argv: list[str], cpus: list[int] | None = None, output_fd: int | None = None) -> int:
    """Start ``argv`` as a child that gets SIGTERM when this process dies; its pid.

    :param cpus: CPU ids to pin the child to (Linux)
    :param output_fd: where the child's stdout and stderr go (default: ours)
    """
    libc = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    try:  # in the child: set up, then become the server; never return
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
        if cpus and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cpus)
        if output_fd is not None:
            os.dup2(output_fd, 1)
            os.dup2(output_fd, 2)
        os.execvp(argv[0], argv)
    except BaseException as exc:
        os.write(2, f"smartsim: could not run {argv[0]}: {exc}\n".encode())
    os._exit(127)


def wait(pid: int, timeout: float | None = None) -> int | None:
    """The child's exit code (negative: killed by that signal); None if still running."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.001
    while True:
        done, status = os.waitpid(pid, 0 if deadline is None else os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if deadline is not None and time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


class Stopping:
    """Set once this process was asked to stop (a forwarded termination signal)."""

    requested = False


def forward_signals(*pids: int) -> None:
    """Pass termination signals received by this process on to ``pids``."""

    def forward(signum: int, _frame: object) -> None:
        Stopping.requested = True
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, forward)


def stop(pid: int, grace: float = 5.0) -> int:
    """SIGTERM the child, SIGKILL after ``grace`` s; its exit code."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    code = wait(pid, grace)
    if code is None:
        os.kill(pid, signal.SIGKILL)
        code = wait(pid)
    assert code is not None
    return code


def supervise(server: int, helper: int, name: str) -> int:
    """Wait for the server and its helper process; the shard's exit code.

    The server's code, once it exits (the helper is then stopped). A helper that dies while
    the server runs, and nobody asked to stop, is reported and ends the shard with code 1, so
    that the shard's status shows it.
    """
    while True:
        pid, status = os.wait()
        code = os.waitstatus_to_exitcode(status)
        if pid == server:
            stop(helper)
            return code
        if pid == helper:
            if Stopping.requested:
                continue
            print(
                f"smartsim shard {name}: its inference worker exited with code {code}; "
                "stopping the shard",
                file=sys.stderr,
                flush=True,
            )
            stop(server)
            return 1
