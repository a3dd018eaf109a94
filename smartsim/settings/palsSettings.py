"""``mpiexec`` under HPE Cray PALS (Parallel Application Launch Service), on PBS systems.

PALS' mpiexec takes its own flags (``--ppn``, ``--depth``, ``--cpu-bind``, ``--env``,
``--envlist``, ``--hosts``, ``--hostfile``, ``--transfer``): see ``man mpiexec`` on a PALS
system. Options without a setter (e.g. ``--depth``) go in ``run_args``.
"""

from __future__ import annotations

import typing as t

from smartsim.log import get_logger
from smartsim.settings.base import RunArgValue, as_host_list
from smartsim.settings.mpiSettings import _BaseMPISettings

logger = get_logger(__name__)

__all__ = ["PalsMpiexecSettings"]


class PalsMpiexecSettings(_BaseMPISettings):
    """Run an executable with PALS ``mpiexec``.

    :param exe: executable
    :param exe_args: executable arguments
    :param run_args: mpiexec arguments without dashes (None for a flag)
    :param env_vars: environment variables; a None value exports the caller's value
    :param fail_if_missing_exec: raise LauncherError when mpiexec is not on PATH, else warn
    """

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        fail_if_missing_exec: bool = True,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(
            exe,
            exe_args,
            run_command="mpiexec",
            run_args=run_args,
            env_vars=env_vars,
            fail_if_missing_exec=fail_if_missing_exec,
            **kwargs,
        )

    def _not_under_pals(self, method: str) -> None:
        logger.warning(f"{method} not supported under PALS")

    def set_task_map(self, task_mapping: str) -> None:
        """Not supported by PALS: logs a warning."""
        self._not_under_pals("set_task_map")

    def set_cpus_per_task(self, cpus_per_task: int) -> None:
        """Not supported by PALS (use ``run_args={"depth": n}``): logs a warning."""
        self._not_under_pals("set_cpus_per_task")

    def set_quiet_launch(self, quiet: bool) -> None:
        """Not supported by PALS: logs a warning."""
        self._not_under_pals("set_quiet_launch")

    def set_walltime(self, walltime: str) -> None:
        """Not supported by PALS: logs a warning."""
        self._not_under_pals("set_walltime")

    def set_cpu_binding_type(self, bind_type: str) -> None:
        """Set ``--cpu-bind`` (e.g. ``numa``, ``depth``, ``core``)."""
        self.run_args["cpu-bind"] = bind_type

    def set_tasks(self, tasks: int) -> None:
        """Set ``--np``."""
        self.run_args["np"] = int(tasks)

    def set_tasks_per_node(self, tasks_per_node: int) -> None:
        """Set ``--ppn``."""
        self.run_args["ppn"] = int(tasks_per_node)

    def set_broadcast(self, dest_path: str | None = None) -> None:
        """Set ``--transfer``; PALS chooses the destination, so a path is ignored."""
        if isinstance(dest_path, str):
            logger.warning(
                f"{type(self).__name__} cannot set a destination path during broadcast "
                f"(got {dest_path!r}); using the session directory instead"
            )
        self.run_args["transfer"] = None

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Set ``--hosts`` from a host or a list of hosts."""
        self.run_args["hosts"] = ",".join(as_host_list(host_list))

    def set_gpu_affinity_script(self, affinity: str, *args: t.Any) -> None:
        """Run the executable through an affinity script (placed after the run arguments).

        :param affinity: path of the script, e.g. ``set_affinity_gpu_polaris.sh``
        :param args: arguments of the script
        """
        self.affinity_script.append(str(affinity))
        self.affinity_script.extend(str(arg) for arg in args)

    def format_run_args(self) -> list[str]:
        """See base; the affinity script, if any, comes last."""
        return super().format_run_args() + self.affinity_script

    def format_env_vars(self) -> list[str]:
        """``--env NAME=value`` per valued variable, then ``--envlist A,B`` for inherited ones."""
        formatted: list[str] = []
        inherited: list[str] = []
        for name, value in self.env_vars.items():
            if value is None or value == "":
                inherited.append(name)
            else:
                formatted += ["--env", f"{name}={value}"]
        if inherited:
            formatted += ["--envlist", ",".join(inherited)]
        return formatted
