"""The local launcher: each job is a child process in its own session on this machine.

Each job's environment carries its own job marker (``SMARTSIM_JOB``), so that ``stop`` also
ends the processes that left the job's session and tree (see ``utils.process``).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import psutil

from smartsim._core.config import get_config
from smartsim._core.launcher.base import Launcher, OnExit, OnStatus
from smartsim._core.launcher.local.step import local_argv
from smartsim._core.launcher.local.watcher import ExitWatcher
from smartsim._core.launcher.step import Step
from smartsim._core.utils.network import LOOPBACK, get_ip_from_interface
from smartsim._core.utils.process import (
    JOB_MARKER,
    ProcessIdentity,
    identify,
    marker_of,
    new_marker,
    terminate_trees,
    wait_gone,
)
from smartsim.error import LauncherError
from smartsim.log import get_logger
from smartsim.settings.base import RunSettings, SettingsBase

logger = get_logger(__name__)


_MARKER_KEY = os.fsencode(JOB_MARKER)


def _wait_adopted(proc: psutil.Process) -> None:
    """Block until a process that is not our child is gone (its code cannot be known)."""
    while wait_gone([proc], time.monotonic() + 3600):
        pass


def _driver_environment() -> dict[bytes, bytes]:
    """The driver's environment as bytes (read once per launch, not once per job)."""
    if os.name != "posix":
        return {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    return dict(os.environb)


def _environment(
    overrides: dict[str, str], base: dict[bytes, bytes] | None = None
) -> dict[bytes, bytes]:
    """The driver's environment with the step's variables on top, as bytes.

    Bytes go to the child as they are, where a str mapping would be encoded anew for every
    job; os.environb also skips decoding the driver's environment.
    """
    env = dict(base) if base is not None else _driver_environment()
    for name, value in overrides.items():
        env[os.fsencode(name)] = os.fsencode(value)
    return env


def local_bind_addresses(interfaces: list[str]) -> list[str]:
    """Addresses of these interfaces on this machine, for shards started here.

    An interface this machine lacks falls back to loopback, with a warning, so that scripts
    written for a cluster's network (e.g. ``ib0``) run on a laptop.
    """
    addresses: list[str] = []
    for interface in interfaces:
        try:
            address = get_ip_from_interface(interface)
        except ValueError as exc:
            logger.warning(f"{exc}; the local launcher binds the database to {LOOPBACK}")
            address = LOOPBACK
        if address not in addresses:
            addresses.append(address)
    return addresses


class LocalLauncher(Launcher):
    """Starts children with Popen, learns of their exits from an ExitWatcher."""

    name = "local"
    shards_share_host = True
    previews_commands = True

    def __init__(self, on_exit: OnExit, on_status: OnStatus | None = None) -> None:
        super().__init__(on_exit, on_status)
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._adopted: dict[str, psutil.Process] = {}
        self._markers: dict[str, str] = {}
        """Each job's marker, kept after it exits (its strays may outlive it)."""
        self._identities: dict[str, ProcessIdentity] = {}
        self._lock = threading.Lock()
        self._watcher = ExitWatcher(self._child_exited)

    @classmethod
    def check_settings(cls, settings: SettingsBase) -> None:
        """See base. Any run settings: a run command (``srun``, ``mpirun``...) runs as a
        local process, as in SmartSim, whose local launcher takes every RunSettings."""
        if not isinstance(settings, RunSettings):
            super().check_settings(settings)

    def argv(
        self, run_settings: RunSettings, cwd: str, wrapper: list[str] | None = None
    ) -> list[str]:
        """See base. A wrapper runs around the whole command, run command included."""
        return [*(wrapper or []), *local_argv(run_settings, cwd)]

    def submit(self, step: Step) -> str:
        """See base."""
        return self._submit(step, _environment(step.env))

    def submit_many(self, steps: list[Step]) -> list[str]:
        """See base. The driver's environment is read once for all the steps."""
        base = _driver_environment()
        return [self._submit(step, _environment(step.env, base)) for step in steps]

    def _submit(self, step: Step, env: dict[bytes, bytes]) -> str:
        marker = new_marker()
        env[_MARKER_KEY] = marker.encode()
        try:
            with open(step.out_file, "wb") as out, open(step.err_file, "wb") as err:
                proc = subprocess.Popen(
                    step.argv,
                    cwd=step.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )
        except OSError as exc:
            raise LauncherError(
                f"Could not start {step.entity_type.lower()} '{step.name}' "
                f"({' '.join(step.argv)}) in {step.cwd}: {exc.strerror or exc}"
            ) from exc
        job_id = str(proc.pid)
        identity = identify(proc.pid, marker)  # before the watcher may reap it
        with self._lock:
            self._procs[job_id] = proc
            self._markers[job_id] = marker
            if identity is not None:
                self._identities[job_id] = identity
        self._watcher.watch(job_id, proc.pid, proc.wait)
        return job_id

    def process_identity(self, job_id: str) -> ProcessIdentity | None:
        """See base: start time, command line and marker, read when the job started."""
        with self._lock:
            return self._identities.get(job_id)

    def adopt(self, job_id: str) -> bool:
        """See base. The process is not our child: its exit is seen, its code is not."""
        try:
            proc = psutil.Process(int(job_id))
        except (psutil.NoSuchProcess, ValueError):
            return False
        marker = marker_of(proc)
        with self._lock:
            self._adopted[job_id] = proc
            if marker:
                self._markers[job_id] = marker
        self._watcher.watch(job_id, proc.pid, lambda: _wait_adopted(proc))
        return True

    def bind_addresses(self, interfaces: list[str]) -> list[str]:
        """See base and :func:`local_bind_addresses`."""
        return local_bind_addresses(interfaces)

    def _child_exited(self, job_id: str, returncode: int | None) -> None:
        with self._lock:
            self._procs.pop(job_id, None)
            self._adopted.pop(job_id, None)
        self._on_exit(job_id, returncode)

    def _wait_child(self, pid: int, timeout: float) -> bool:
        with self._lock:
            proc = self._procs.get(str(pid))
            adopted = self._adopted.get(str(pid))
        if adopted is not None:
            return not wait_gone([adopted], time.monotonic() + timeout)
        if proc is None:
            return True
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, job_ids: list[str]) -> dict[str, int | None]:
        """See base. SIGTERM, then SIGKILL after SMARTSIM_STOP_GRACE seconds (default 5), to
        the job's group, its tree, and every process carrying its marker."""
        with self._lock:
            procs = {job_id: self._procs.get(job_id) for job_id in job_ids}
            markers = {self._markers[job_id] for job_id in job_ids if job_id in self._markers}
        terminate_trees(
            [int(j) for j in job_ids], get_config().stop_grace_period, self._wait_child, markers
        )
        return {job_id: proc.returncode if proc else None for job_id, proc in procs.items()}

    def running_job_ids(self) -> list[str]:
        """Ids of the children that have not exited yet."""
        with self._lock:
            return list(self._procs)
