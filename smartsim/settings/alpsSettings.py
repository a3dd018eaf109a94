"""ALPS ``aprun`` run settings (Cray XC systems, usually under PBS).

Flags follow the aprun manual (``man aprun``).
"""

from __future__ import annotations

import typing as t

from smartsim.error import SSUnsupportedError
from smartsim.settings.base import RunArgValue, RunSettings, as_host_list, format_short_long_args

__all__ = ["AprunSettings"]


class AprunSettings(RunSettings):
    """Run an executable with ``aprun``.

    :param exe: executable
    :param exe_args: executable arguments
    :param run_args: aprun arguments without dashes (None for a flag)
    :param env_vars: environment variables, passed with ``-e NAME=value``
    """

    # aprun's working directory is chosen by the launcher.
    reserved_run_args: t.ClassVar[frozenset[str]] = frozenset({"wdir"})

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(
            exe, exe_args, run_command="aprun", run_args=run_args, env_vars=env_vars, **kwargs
        )
        self.mpmd: list[RunSettings] = []

    def make_mpmd(self, settings: RunSettings) -> None:
        """Run ``settings`` in the same aprun command, separated by ``:``.

        :raises SSUnsupportedError: colocated database or container
        """
        if self.colocated_db_settings:
            raise SSUnsupportedError("Colocated models cannot be run as a mpmd workload")
        if self.container:
            raise SSUnsupportedError("Containerized MPMD workloads are not yet supported.")
        self.mpmd.append(settings)

    def set_cpus_per_task(self, cpus_per_task: int) -> None:
        """Set ``--cpus-per-pe``."""
        self.run_args["cpus-per-pe"] = int(cpus_per_task)

    def set_tasks(self, tasks: int) -> None:
        """Set ``--pes`` (the number of processing elements)."""
        self.run_args["pes"] = int(tasks)

    def set_tasks_per_node(self, tasks_per_node: int) -> None:
        """Set ``--pes-per-node``."""
        self.run_args["pes-per-node"] = int(tasks_per_node)

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Set ``--node-list`` from a host or a list of hosts."""
        self.run_args["node-list"] = ",".join(as_host_list(host_list))

    def set_hostlist_from_file(self, file_path: str) -> None:
        """Set ``--node-list-file``."""
        self.run_args["node-list-file"] = file_path

    def set_excluded_hosts(self, host_list: str | list[str]) -> None:
        """Set ``--exclude-node-list`` from a host or a list of hosts."""
        self.run_args["exclude-node-list"] = ",".join(as_host_list(host_list))

    def set_cpu_bindings(self, bindings: int | list[int]) -> None:
        """Set ``--cpu-binding`` to a comma-separated list of CPU ids."""
        if isinstance(bindings, int):
            bindings = [bindings]
        self.run_args["cpu-binding"] = ",".join(str(int(cpu)) for cpu in bindings)

    def set_memory_per_node(self, memory_per_node: int) -> None:
        """Set ``--memory-per-pe`` in megabytes."""
        self.run_args["memory-per-pe"] = int(memory_per_node)

    def set_verbose_launch(self, verbose: bool) -> None:
        """Set ``--debug=7`` (aprun's most verbose level), or remove it."""
        if verbose:
            self.run_args["debug"] = 7
        else:
            self.run_args.pop("debug", None)

    def set_quiet_launch(self, quiet: bool) -> None:
        """Add (or remove) ``--quiet``."""
        self._set_flag("quiet", quiet)

    def set_walltime(self, walltime: str) -> None:
        """Set ``--cpu-time-limit`` to a number of seconds."""
        self.run_args["cpu-time-limit"] = str(walltime)

    def set_time(self, hours: int = 0, minutes: int = 0, seconds: int = 0) -> None:
        """Set ``--cpu-time-limit`` from hours, minutes and seconds (as total seconds)."""
        total = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
        if total < 0:
            raise ValueError(f"Wall time must not be negative, got {total} seconds")
        self.set_walltime(str(total))

    def format_run_args(self) -> list[str]:
        """See base (``-x value`` for one letter, ``--name=value`` otherwise)."""
        return format_short_long_args(
            {k: v for k, v in self.run_args.items() if k not in self.reserved_run_args}
        )

    def format_env_vars(self) -> list[str]:
        """``-e NAME=value`` per variable; a None value is inherited, so it is left out."""
        formatted: list[str] = []
        for name, value in self.env_vars.items():
            if value is not None:
                formatted += ["-e", f"{name}={value}"]
        return formatted
