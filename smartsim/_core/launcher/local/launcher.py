"""The local launcher: each job is a child process in its own session on this machine."""

from __future__ import annotations

import os
import subprocess
import threading

from smartsim._core.config import get_config
from smartsim._core.launcher.base import Launcher, OnExit
from smartsim._core.launcher.local.step import local_argv
from smartsim._core.launcher.local.watcher import ExitWatcher
from smartsim._core.launcher.step import Step
from smartsim._core.utils.process import terminate_trees
from smartsim.error import LauncherError
from smartsim.settings.base import RunSettings


def _environment(overrides: dict[str, str]) -> dict[bytes, bytes]:
    """The driver's environment with the step's variables on top, as bytes.

    Bytes go to the child as they are, where a str mapping would be encoded anew for every
    job; os.environb also skips decoding the driver's environment.
    """
    if os.name != "posix":
        return {**os.environ, **overrides}  # type: ignore[dict-item]
    env = dict(os.environb)
    for name, value in overrides.items():
        env[os.fsencode(name)] = os.fsencode(value)
    return env


class LocalLauncher(Launcher):
    """Starts children with Popen, learns of their exits from an ExitWatcher."""

    name = "local"

    def __init__(self, on_exit: OnExit) -> None:
        super().__init__(on_exit)
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._watcher = ExitWatcher(self._child_exited)

    def argv(self, run_settings: RunSettings, cwd: str) -> list[str]:
        """See base."""
        return local_argv(run_settings, cwd)

    def submit(self, step: Step) -> str:
        """See base."""
        env = _environment(step.env)
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
        with self._lock:
            self._procs[job_id] = proc
        self._watcher.watch(job_id, proc)
        return job_id

    def _child_exited(self, job_id: str, returncode: int) -> None:
        with self._lock:
            self._procs.pop(job_id, None)
        self._on_exit(job_id, returncode)

    def _wait_child(self, pid: int, timeout: float) -> bool:
        with self._lock:
            proc = self._procs.get(str(pid))
        if proc is None:
            return True
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, job_ids: list[str]) -> dict[str, int | None]:
        """See base. SIGTERM, then SIGKILL after SMARTSIM_STOP_GRACE seconds (default 5)."""
        with self._lock:
            procs = {job_id: self._procs.get(job_id) for job_id in job_ids}
        terminate_trees([int(j) for j in job_ids], get_config().stop_grace_period, self._wait_child)
        return {job_id: proc.returncode if proc else None for job_id, proc in procs.items()}

    def running_job_ids(self) -> list[str]:
        """Ids of the children that have not exited yet."""
        with self._lock:
            return list(self._procs)
