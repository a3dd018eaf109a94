"""The Dragon launcher: one Dragon runtime per driver, started on first use, runs every job.

The runtime runs ``smartsim._core.entrypoints.dragon_server`` on this node (``dragon -s``,
single node); the driver talks to it over a Unix socket (``protocol``). A job is a Dragon
process: its output goes to the entity's ``.out``/``.err``, its exit is pushed back by the
server. ``close`` (also at interpreter exit) ends the jobs and the runtime.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import typing as t
import weakref

from smartsim._core.config import get_config
from smartsim._core.launcher.base import Launcher, OnExit, OnStatus
from smartsim._core.launcher.dragon.protocol import SOCKET_NAME, Message, encode, read_messages
from smartsim._core.launcher.local.launcher import local_bind_addresses
from smartsim._core.launcher.local.step import local_argv
from smartsim._core.launcher.step import Step, in_dir_with_output
from smartsim._core.utils.network import find_free_port
from smartsim._core.utils.process import terminate_trees
from smartsim.error import LauncherError, SSUnsupportedError
from smartsim.log import get_logger
from smartsim.settings.base import RunSettings, SettingsBase
from smartsim.settings.dragonRunSettings import DragonRunSettings
from smartsim.settings.pbsSettings import QsubBatchSettings
from smartsim.settings.slurmSettings import SbatchSettings

logger = get_logger(__name__)

SERVER_ENTRYPOINT = "smartsim._core.entrypoints.dragon_server"
START_TIMEOUT = 60.0
"""Seconds the runtime may take to start and listen (about 2 s here)."""


def dragon_command() -> str:
    """The ``dragon`` launcher program of the ``dragonhpc`` package.

    :raises SSUnsupportedError: dragonhpc is not installed for this Python
    """
    beside = os.path.join(os.path.dirname(sys.executable), "dragon")
    found = beside if os.access(beside, os.X_OK) else shutil.which("dragon")
    if importlib.util.find_spec("dragon") is None or found is None:
        raise SSUnsupportedError(
            "The dragon launcher needs the Dragon runtime: the 'dragonhpc' package is not "
            f"installed for {sys.executable} (pip install dragonhpc); use launcher='local' "
            "or a workload manager's launcher"
        )
    return found


def _close_at_exit(ref: weakref.ReferenceType[DragonLauncher]) -> None:
    launcher = ref()
    if launcher is not None:
        launcher.close()


class DragonLauncher(Launcher):
    """See the module docstring."""

    name = "dragon"
    supported_settings: t.ClassVar[tuple[type[SettingsBase], ...]] = (
        RunSettings,
        DragonRunSettings,
        SbatchSettings,  # SmartSim's list; this launcher refuses batch settings earlier
        QsubBatchSettings,
    )
    shards_share_host = True
    private_environment = False  # a process's variables go to the runtime as `env K=V ...`

    def __init__(self, on_exit: OnExit, on_status: OnStatus | None = None) -> None:
        super().__init__(on_exit, on_status)
        self._dragon = dragon_command()
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._replies: list[Message] = []
        self._exits: dict[str, int | None] = {}
        self._stopping: set[str] = set()
        self._runtime: subprocess.Popen[bytes] | None = None
        self._conn: socket.socket | None = None
        self._dir: str | None = None
        atexit.register(_close_at_exit, weakref.ref(self))

    def argv(
        self, run_settings: RunSettings, cwd: str, wrapper: list[str] | None = None
    ) -> list[str]:
        """See base. Dragon starts the executable itself: no run command."""
        return [*(wrapper or []), *local_argv(run_settings, cwd)]

    def bind_addresses(self, interfaces: list[str]) -> list[str]:
        """See base. The runtime runs on this node, as the local launcher's jobs do."""
        return local_bind_addresses(interfaces)

    # -- the runtime ------------------------------------------------------------------------

    def _ensure_runtime(self) -> socket.socket:
        if self._conn is not None:
            return self._conn
        self._dir = tempfile.mkdtemp(prefix="smartsim-dragon-")
        path = os.path.join(self._dir, SOCKET_NAME)
        log = os.path.join(self._dir, "runtime.log")
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        with open(log, "wb") as out:
            self._runtime = subprocess.Popen(
                # its own transport port: two runtimes on one node must not share one
                [self._dragon, "-s", "-p", str(find_free_port()), sys.executable, "-m",
                 SERVER_ENTRYPOINT, path],
                # not a new session: dragon makes its own process group (setpgid), which a
                # session leader may not do
                cwd=self._dir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(path)
                break
            except OSError:
                conn.close()
            if self._runtime.poll() is not None or time.monotonic() > deadline:
                with open(log, encoding="utf-8", errors="replace") as handle:
                    tail = handle.read()[-2000:]
                self.close()
                raise LauncherError(f"The Dragon runtime did not start; its output:\n{tail}")
            time.sleep(0.02)
        self._conn = conn
        threading.Thread(target=self._read, name="smartsim-dragon-events", daemon=True).start()
        logger.debug(f"Dragon runtime started (pid {self._runtime.pid}), socket {path}")
        return conn

    def _read(self) -> None:
        assert self._conn is not None
        try:
            for message in read_messages(self._conn):
                if message.get("event") == "exit":
                    self._exited(str(message["id"]), message.get("rc"))
                else:
                    with self._cond:
                        self._replies.append(message)
                        self._cond.notify_all()
        except OSError:
            pass
        with self._cond:  # the runtime went away: no reply will come
            self._replies.append({"event": "error", "message": "the Dragon runtime ended"})
            self._cond.notify_all()

    def _exited(self, puid: str, returncode: int | None) -> None:
        with self._cond:
            self._exits[puid] = returncode
            stopping = puid in self._stopping
            self._cond.notify_all()
        if not stopping:
            self._on_exit(puid, returncode)

    def _send(self, message: Message) -> None:
        conn = self._ensure_runtime()
        with self._send_lock:
            conn.sendall(encode(message))

    # -- jobs -------------------------------------------------------------------------------

    def submit(self, step: Step) -> str:
        """See base."""
        os.makedirs(step.cwd, exist_ok=True)
        with self._cond:
            self._replies.clear()
        self._send({"op": "run", "argv": in_dir_with_output(step)})
        with self._cond:
            while not self._replies:
                self._cond.wait()
            reply = self._replies.pop(0)
        if reply.get("event") != "started":
            raise LauncherError(
                f"Dragon could not start {step.entity_type.lower()} '{step.name}' "
                f"({' '.join(step.argv)}): {reply.get('message')}"
            )
        return str(reply["puid"])

    def stop(self, job_ids: list[str]) -> dict[str, int | None]:
        """See base. SIGTERM, then SIGKILL after SMARTSIM_STOP_GRACE seconds."""
        grace = get_config().stop_grace_period
        with self._cond:
            live = [puid for puid in job_ids if puid not in self._exits]
            self._stopping.update(live)
        if live and self._conn is not None:
            self._send({"op": "stop", "ids": live, "grace": grace})
            deadline = time.monotonic() + grace + 10.0
            with self._cond:
                while any(p not in self._exits for p in live) and time.monotonic() < deadline:
                    self._cond.wait(deadline - time.monotonic())
        with self._cond:
            return {puid: self._exits.get(puid) for puid in job_ids}

    def adopt(self, job_id: str) -> bool:
        """See base. Processes of another driver's runtime cannot be followed."""
        return False

    def close(self) -> None:
        """End every job and the runtime, and remove its files."""
        if self._conn is not None:
            try:
                with self._send_lock:
                    self._conn.sendall(encode({"op": "shutdown"}))
            except OSError:
                pass
        runtime = self._runtime
        if runtime is not None and runtime.poll() is None:
            try:
                runtime.wait(30)
            except subprocess.TimeoutExpired:
                logger.warning("The Dragon runtime did not end in 30 s; killing it")

                def wait_root(pid: int, timeout: float) -> bool:
                    try:
                        runtime.wait(timeout)
                    except subprocess.TimeoutExpired:
                        return False
                    return True

                terminate_trees([runtime.pid], get_config().stop_grace_period, wait_root)
        if self._conn is not None:
            self._conn.close()
        self._conn, self._runtime = None, None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
