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
PASSWORD_ENV = "SR_DB_PASSWORD"
"""smartredis.wire.connection.PASSWORD_ENV, which the workers' connections read (named here:
the shard imports nothing of smartredis before its server runs)."""
SERVER_UMASK = 0o077
"""The server's files (dump, cluster config) are readable by their owner only."""


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
    module: str | None = None,
    config_from_stdin: bool = False,
) -> list[str]:
    """The server command: persistence off unless configured, no daemon, config as flags,
    and the smartsim-ai ``module`` (the AI.* commands) loaded when given.

    :param config_from_stdin: the server also reads settings from its standard input
        (:func:`secret_config`: a password never appears on a command line)
    """
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
    if module:
        argv += ["--loadmodule", module]
    if config_from_stdin:
        argv.append("-")  # must be the last argument
    return argv


def secret_config(password: str) -> bytes:
    """The settings a password-protected server reads from its standard input."""
    if not password or any(c.isspace() or c in "\"'" for c in password):
        raise ValueError("a database password must be non-empty, without spaces or quotes")
    return f"requirepass {password}\n".encode()


def worker_environ(password: str | None) -> dict[str, str]:
    """This process's environment for its inference workers, with ``SR_DB_PASSWORD`` set to
    the server's ``password`` or removed (a value meant for another database must not go)."""
    env = dict(os.environ)
    env.pop(PASSWORD_ENV, None)
    if password:
        env[PASSWORD_ENV] = password
    return env


def valued_flags(*pairs: tuple[str, object]) -> list[str]:
    """``[flag, value, ...]`` for each pair whose value is not None (the argv builders' options)."""
    options: list[str] = []
    for flag, value in pairs:
        if value is not None:
            options += [flag, str(value)]
    return options


def worker_argv(
    address: str, inter_op: int | None = None, intra_op: int | None = None
) -> list[str]:
    """The command of one inference worker serving the database at ``address``."""
    argv = [sys.executable, "-m", WORKER_MODULE, "--address", address]
    if inter_op:
        argv += ["--inter-op-threads", str(inter_op)]
    if intra_op:
        argv += ["--intra-op-threads", str(intra_op)]
    return argv


class Workers:
    """The database's inference workers: started together, each restarted if it dies.

    A worker that dies costs only the requests it was running (the module answers their
    callers with an error at once); the database keeps its data and serves on.
    """

    MAX_BACKOFF = 10.0

    def __init__(
        self, argv: list[str], count: int, name: str, env: dict[str, str] | None = None
    ) -> None:
        self.argv = argv
        self.name = name
        self.env = env
        self.pids: dict[int, float] = {}
        self.backoff = 0.5
        for _ in range(max(count, 0)):
            self.start()

    def start(self) -> None:
        """Start one more worker."""
        self.pids[spawn(self.argv, env=self.env)] = time.monotonic()

    def replace(self, pid: int, code: int) -> None:
        """Worker ``pid`` exited with ``code``: report it and start another."""
        started = self.pids.pop(pid)
        print(
            f"smartsim shard {self.name}: an inference worker exited with code {code}; "
            "its running requests failed; starting another",
            file=sys.stderr,
            flush=True,
        )
        if time.monotonic() - started < 5.0:  # dying at once: don't spin
            time.sleep(self.backoff)
            self.backoff = min(self.backoff * 2, self.MAX_BACKOFF)
        else:
            self.backoff = 0.5
        self.start()

    def stop(self) -> None:
        """Stop every worker."""
        for pid in list(self.pids):
            stop(pid)
        self.pids.clear()


def spawn(
    argv: list[str],
    cpus: list[int] | None = None,
    output_fd: int | None = None,
    *,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    umask: int | None = None,
) -> int:
    """Start ``argv`` as a child that gets SIGTERM when this process dies; its pid.

    :param cpus: CPU ids to pin the child to (Linux)
    :param output_fd: where the child's stdout and stderr go (default: ours)
    :param stdin: what the child reads on its standard input (a pipe, then end of file)
    :param env: the child's environment (default: ours)
    :param umask: the child's umask (default: ours)
    """
    libc = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
    parent = os.getpid()
    stdin_fd = None
    if stdin is not None:
        stdin_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, stdin)  # a few bytes: the pipe holds them until they are read
        finally:
            os.close(write_fd)
    pid = os.fork()
    if pid:
        if stdin_fd is not None:
            os.close(stdin_fd)
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
        if stdin_fd is not None:
            os.dup2(stdin_fd, 0)
        if umask is not None:
            os.umask(umask)
        if env is None:
            os.execvp(argv[0], argv)
        else:
            os.execvpe(argv[0], argv, env)
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


def supervise(server: int, workers: Workers | None) -> int:
    """Wait for the server; restart workers that die meanwhile; the server's exit code.

    The workers are stopped once the server exits.
    """
    while True:
        pid, status = os.wait()
        code = os.waitstatus_to_exitcode(status)
        if pid == server:
            if workers is not None:
                workers.stop()
            return code
        if workers is not None and pid in workers.pids:
            if Stopping.requested:
                workers.pids.pop(pid)
            else:
                workers.replace(pid, code)
