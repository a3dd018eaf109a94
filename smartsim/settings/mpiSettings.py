"""MPI-standard run commands: ``mpirun``, ``mpiexec`` and ``orterun`` (Open MPI flags).

Flags follow Open MPI's mpirun manual:
https://docs.open-mpi.org/en/main/man-openmpi/man1/mpirun.1.html
"""

from __future__ import annotations

import typing as t

from smartsim._core.utils.helpers import is_valid_cmd
from smartsim._core.utils.shell import run_command
from smartsim.error import LauncherError, SSUnsupportedError
from smartsim.log import get_logger
from smartsim.settings.base import RunArgValue, RunSettings, as_host_list

logger = get_logger(__name__)

__all__ = ["MpiexecSettings", "MpirunSettings", "OrterunSettings"]


def _total_seconds(hours: int, minutes: int, seconds: int) -> str:
    """Wall time as a number of seconds, the unit of ``--timeout`` and aprun's limits."""
    total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if total < 0:
        raise ValueError(f"Wall time must not be negative, got {total} seconds")
    return str(total)


class _BaseMPISettings(RunSettings):
    """Arguments shared by MPI-standard run commands; every run arg renders as ``--name value``.

    :param exe: executable
    :param exe_args: executable arguments
    :param run_command: the MPI launcher, e.g. ``mpirun``
    :param run_args: run command arguments without dashes (None for a flag)
    :param env_vars: environment variables; a None value exports the caller's value
    :param fail_if_missing_exec: raise LauncherError when the run command is not on PATH;
        when False only warn (useful to build commands for another machine)
    """

    # The working directory is chosen by the launcher.
    reserved_run_args: t.ClassVar[frozenset[str]] = frozenset({"wd", "wdir"})

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_command: str = "mpiexec",
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        fail_if_missing_exec: bool = True,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(
            exe,
            exe_args,
            run_command=run_command,
            run_args=run_args,
            env_vars=env_vars,
            **kwargs,
        )
        self.mpmd: list[RunSettings] = []
        self.affinity_script: list[str] = []
        if not is_valid_cmd(run_command):
            msg = (
                f"Cannot find run command {run_command!r} on PATH: install an MPI "
                "implementation or put it on PATH, or pass fail_if_missing_exec=False "
                "to build the command anyway"
            )
            if fail_if_missing_exec:
                raise LauncherError(msg)
            logger.warning(msg)

    def make_mpmd(self, settings: RunSettings) -> None:
        """Run ``settings`` in the same MPI job, separated by ``:``.

        A colocated database works with MPMD here (SmartSim 0.8 refused it): the database
        wrapper runs around the whole MPI command, so the job gets one database.
        """
        self.mpmd.append(settings)

    def set_task_map(self, task_mapping: str) -> None:
        """Set ``--map-by``."""
        self.run_args["map-by"] = task_mapping

    def set_cpus_per_task(self, cpus_per_task: int) -> None:
        """Set ``--cpus-per-proc`` (deprecated in Open MPI 4 but still accepted)."""
        self.run_args["cpus-per-proc"] = int(cpus_per_task)

    def set_cpu_binding_type(self, bind_type: str) -> None:
        """Set ``--bind-to`` (e.g. core, socket, none)."""
        self.run_args["bind-to"] = bind_type

    def set_tasks_per_node(self, tasks_per_node: int) -> None:
        """Set ``--npernode``."""
        self.run_args["npernode"] = int(tasks_per_node)

    def set_tasks(self, tasks: int) -> None:
        """Set ``--n`` (the number of processes)."""
        self.run_args["n"] = int(tasks)

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Set ``--host`` from a host or a list of hosts."""
        self.run_args["host"] = ",".join(as_host_list(host_list))

    def set_hostlist_from_file(self, file_path: str) -> None:
        """Set ``--hostfile``."""
        self.run_args["hostfile"] = file_path

    def set_verbose_launch(self, verbose: bool) -> None:
        """Add (or remove) ``--verbose``."""
        self._set_flag("verbose", verbose)

    def set_quiet_launch(self, quiet: bool) -> None:
        """Add (or remove) ``--quiet``."""
        self._set_flag("quiet", quiet)

    def set_broadcast(self, dest_path: str | None = None) -> None:
        """Set ``--preload-binary``; MPI copies to its session directory, so a path is ignored."""
        if isinstance(dest_path, str):
            logger.warning(
                f"{type(self).__name__} cannot set a destination path during broadcast "
                f"(got {dest_path!r}); using the session directory instead"
            )
        self.run_args["preload-binary"] = None

    def set_walltime(self, walltime: str) -> None:
        """Set ``--timeout`` to a number of seconds."""
        self.run_args["timeout"] = walltime

    def set_time(self, hours: int = 0, minutes: int = 0, seconds: int = 0) -> None:
        """Set ``--timeout`` from hours, minutes and seconds (rendered as total seconds)."""
        self.set_walltime(_total_seconds(hours, minutes, seconds))

    def format_run_args(self) -> list[str]:
        """See base."""
        formatted: list[str] = []
        for name, value in self.run_args.items():
            if name in self.reserved_run_args:
                continue
            formatted.append(f"--{name}")
            if value is not None and value != "":
                formatted.append(str(value))
        return formatted

    def format_env_vars(self) -> list[str]:
        """``-x NAME=value`` per variable, or ``-x NAME`` to export the caller's value."""
        formatted: list[str] = []
        for name, value in self.env_vars.items():
            formatted += ["-x", name if value is None or value == "" else f"{name}={value}"]
        return formatted


class MpirunSettings(_BaseMPISettings):
    """Run an executable with ``mpirun``. See ``_BaseMPISettings`` for the parameters."""

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(exe, exe_args, "mpirun", run_args, env_vars, **kwargs)


class MpiexecSettings(_BaseMPISettings):
    """Run an executable with ``mpiexec``. See ``_BaseMPISettings`` for the parameters.

    :raises SSUnsupportedError: the ``mpiexec`` found is Slurm's wrapper (``mpiexec.slurm``)
    """

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(exe, exe_args, "mpiexec", run_args, env_vars, **kwargs)
        self._check_mpiexec_support()

    def _check_mpiexec_support(self) -> None:
        """Refuse Slurm's mpiexec wrapper, which runs srun: SrunSettings do that properly."""
        if not is_valid_cmd(self._run_command):
            return  # nothing to ask (fail_if_missing_exec=False already warned)
        _, help_text, _ = run_command([self._run_command, "--help"], timeout=10.0)
        if "mpiexec.slurm" in help_text:
            raise SSUnsupportedError(
                "Slurm's wrapper for mpiexec is unsupported. Use slurmSettings instead"
            )


class OrterunSettings(_BaseMPISettings):
    """Run an executable with ``orterun``. See ``_BaseMPISettings`` for the parameters."""

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(exe, exe_args, "orterun", run_args, env_vars, **kwargs)
