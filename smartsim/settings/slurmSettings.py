"""Slurm settings: ``srun`` run settings and ``sbatch`` batch settings.

Flag names follow the srun/sbatch manuals (https://slurm.schedmd.com/srun.html,
https://slurm.schedmd.com/sbatch.html). Nothing here reads the environment: the Slurm step
passes ``os.environ`` to :meth:`SrunSettings.check_env_vars` and the allocation's
``SLURM_HET_SIZE`` to :meth:`SrunSettings.set_het_group` when it knows them.
"""

from __future__ import annotations

import typing as t

from smartsim._core.utils.helpers import fmt_walltime
from smartsim.error import SSUnsupportedError
from smartsim.log import get_logger
from smartsim.settings.base import (
    BatchSettings,
    RunArgValue,
    RunSettings,
    as_host_list,
    format_short_long_args,
)

logger = get_logger(__name__)

__all__ = ["SbatchSettings", "SrunSettings", "fmt_walltime"]


class SrunSettings(RunSettings):
    """Run an executable with ``srun`` on a Slurm system.

    :param exe: executable to run
    :param exe_args: executable arguments
    :param run_args: srun arguments without dashes, e.g. ``{"nodes": 2, "exclusive": None}``
    :param env_vars: environment variables for the job
    :param alloc: id of an existing allocation to launch into
    """

    # srun's working directory is chosen by the launcher.
    reserved_run_args: t.ClassVar[frozenset[str]] = frozenset({"chdir", "D"})

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        alloc: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(
            exe, exe_args, run_command="srun", run_args=run_args, env_vars=env_vars, **kwargs
        )
        self.alloc = alloc
        self.mpmd: list[RunSettings] = []

    def make_mpmd(self, settings: RunSettings) -> None:
        """Run ``settings`` in the same srun command, separated by ``:``.

        :raises SSUnsupportedError: colocated database or container
        :raises ValueError: a heterogeneous group is set (Slurm forbids MPMD there)
        """
        if self.colocated_db_settings:
            raise SSUnsupportedError("Colocated models cannot be run as a mpmd workload")
        if self.container:
            raise SSUnsupportedError("Containerized MPMD workloads are not yet supported.")
        if "het-group" in self.run_args or "het-group" in settings.run_args:
            raise ValueError("Slurm does not support MPMD workloads in heterogeneous jobs.")
        self.mpmd.append(settings)

    def set_nodes(self, nodes: int) -> None:
        """Set ``--nodes``."""
        self.run_args["nodes"] = int(nodes)

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Set ``--nodelist`` from a host or a list of hosts."""
        self.run_args["nodelist"] = ",".join(as_host_list(host_list))

    def set_hostlist_from_file(self, file_path: str) -> None:
        """Set ``--nodefile``."""
        self.run_args["nodefile"] = file_path

    def set_excluded_hosts(self, host_list: str | list[str]) -> None:
        """Set ``--exclude`` from a host or a list of hosts."""
        self.run_args["exclude"] = ",".join(as_host_list(host_list))

    def set_cpus_per_task(self, cpus_per_task: int) -> None:
        """Set ``--cpus-per-task``."""
        self.run_args["cpus-per-task"] = int(cpus_per_task)

    def set_tasks(self, tasks: int) -> None:
        """Set ``--ntasks``."""
        self.run_args["ntasks"] = int(tasks)

    def set_tasks_per_node(self, tasks_per_node: int) -> None:
        """Set ``--ntasks-per-node``."""
        self.run_args["ntasks-per-node"] = int(tasks_per_node)

    def set_cpu_bindings(self, bindings: int | list[int]) -> None:
        """Set ``--cpu_bind=map_cpu:<ids>`` to pin tasks to these CPUs."""
        if isinstance(bindings, int):
            bindings = [bindings]
        self.run_args["cpu_bind"] = "map_cpu:" + ",".join(str(int(cpu)) for cpu in bindings)

    def set_memory_per_node(self, memory_per_node: int) -> None:
        """Set ``--mem`` in megabytes."""
        self.run_args["mem"] = f"{int(memory_per_node)}M"

    def set_verbose_launch(self, verbose: bool) -> None:
        """Add (or remove) ``--verbose``."""
        self._set_flag("verbose", verbose)

    def set_quiet_launch(self, quiet: bool) -> None:
        """Add (or remove) ``--quiet``."""
        self._set_flag("quiet", quiet)

    def set_broadcast(self, dest_path: str | None = None) -> None:
        """Set ``--bcast`` (optionally to a destination path)."""
        self.run_args["bcast"] = dest_path

    def set_node_feature(self, feature_list: str | list[str]) -> None:
        """Set ``-C`` (constraint) from a feature or a list of features."""
        if isinstance(feature_list, str):
            feature_list = [feature_list.strip()]
        elif not isinstance(feature_list, list) or not all(
            isinstance(feature, str) for feature in feature_list
        ):
            raise TypeError(
                f"node_feature argument must be a str or a list of str, got {feature_list!r}"
            )
        self.run_args["C"] = ",".join(feature_list)

    def set_walltime(self, walltime: str) -> None:
        """Set ``--time`` (HH:MM:SS)."""
        self.run_args["time"] = str(walltime)

    def set_het_group(self, het_group: t.Iterable[int], het_size: int | None = None) -> None:
        """Set ``--het-group`` to run in these components of a heterogeneous allocation.

        :param het_group: component indices
        :param het_size: number of components in the allocation (``SLURM_HET_SIZE``); when
            given, indices are checked against it, otherwise the launcher checks them
        :raises ValueError: bad index, index beyond ``het_size``, or an MPMD job
        """
        groups = [int(group) for group in het_group]
        if not groups or any(group < 0 for group in groups):
            raise ValueError(f"Het groups must be non-negative integers, got {groups!r}")
        if self.mpmd:
            raise ValueError("Slurm does not support MPMD workloads in heterogeneous jobs")
        if het_size is not None and max(groups) >= het_size:
            raise ValueError(
                f"Het group {max(groups)} requested, "
                f"but max het group in allocation is {het_size - 1}"
            )
        logger.warning(
            "Support for heterogeneous groups is an experimental feature, please report any "
            "unexpected behavior to SmartSim developers by opening an issue on "
            "https://github.com/CrayLabs/SmartSim/issues"
        )
        self.run_args["het-group"] = ",".join(str(group) for group in groups)

    def format_run_args(self) -> list[str]:
        """See base."""
        return format_short_long_args(self.run_args)

    def check_env_vars(self, environ: t.Mapping[str, str] | None = None) -> None:
        """Warn about variables that ``environ`` already sets to another value.

        In an interactive allocation a variable of the caller's environment wins over
        ``--export``, so the value given here would silently not be used.

        :param environ: the environment the job is launched from (the launcher passes
            ``os.environ``); nothing is checked when it is None
        """
        if environ is None:
            return
        for name, value in self.env_vars.items():
            if value is None or "," in str(value):
                continue
            current = environ.get(name)
            if current is not None and current != str(value):
                logger.warning(
                    f"Variable {name} is set to {current} in current environment. If the job "
                    f"is running in an interactive allocation, the value {value} will not be "
                    "set. Please consider removing the variable from the environment and "
                    "re-run the experiment."
                )

    def format_env_vars(self) -> list[str]:
        """``NAME=value`` for each variable with a value that holds no comma."""
        return [f"{k}={v}" for k, v in self.env_vars.items() if v is not None and "," not in str(v)]

    def format_comma_sep_env_vars(self) -> tuple[str, list[str]]:
        """Split the environment for ``srun --export`` (see :func:`split_srun_env`).

        :returns: the ``--export`` value (``A=1,B=2,NAME``) and the ``NAME=a,b`` strings,
            including those of MPMD companions
        """
        exported, compound = split_srun_env(self.env_vars)
        for companion in self.mpmd:
            compound += split_srun_env(companion.env_vars)[1]
        return exported, compound


def split_srun_env(env_vars: t.Mapping[str, str | None]) -> tuple[str, list[str]]:
    """Split variables into the value of ``srun --export`` and those set before srun.

    srun splits ``--export`` at commas, so a value holding one cannot go there: such a
    variable is set in srun's own environment (``env NAME=a,b srun ...``) and only its name
    is exported, as is a variable whose value is None (inherited from the caller).

    :returns: the ``--export`` value without ``ALL,`` (``A=1,NAME``) and the ``NAME=a,b``
        assignments
    """
    exported: list[str] = []
    names_only: list[str] = []
    compound: list[str] = []
    for name, value in env_vars.items():
        if value is None:
            names_only.append(name)
        elif "," in str(value):
            names_only.append(name)
            compound.append(f"{name}={value}")
        else:
            exported.append(f"{name}={value}")
    return ",".join(exported + names_only), compound


class SbatchSettings(BatchSettings):
    """Submit a batch job with ``sbatch``.

    :param nodes: number of nodes
    :param time: wall time, e.g. ``"10:00:00"``
    :param account: account to charge
    :param batch_args: extra sbatch arguments without dashes (None for a flag)
    """

    directive_prefix: t.ClassVar[str] = "#SBATCH"

    def __init__(
        self,
        nodes: int | None = None,
        time: str = "",
        account: str | None = None,
        batch_args: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(
            "sbatch", batch_args=batch_args, nodes=nodes, account=account, time=time, **kwargs
        )

    def set_walltime(self, walltime: str) -> None:
        """Set ``--time`` (HH:MM:SS)."""
        if walltime:
            self.batch_args["time"] = walltime

    def set_nodes(self, num_nodes: int) -> None:
        """Set ``--nodes``."""
        if num_nodes:
            self.batch_args["nodes"] = str(int(num_nodes))

    def set_account(self, account: str) -> None:
        """Set ``--account``."""
        if account:
            self.batch_args["account"] = account

    def set_partition(self, partition: str) -> None:
        """Set ``--partition``."""
        self.batch_args["partition"] = str(partition)

    def set_queue(self, queue: str) -> None:
        """Set the partition (Slurm's name for a queue)."""
        if queue:
            self.set_partition(queue)

    def set_cpus_per_task(self, cpus_per_task: int) -> None:
        """Set ``--cpus-per-task``."""
        self.batch_args["cpus-per-task"] = str(int(cpus_per_task))

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Set ``--nodelist`` from a host or a list of hosts."""
        self.batch_args["nodelist"] = ",".join(as_host_list(host_list))

    def format_batch_args(self) -> list[str]:
        """See base."""
        return format_short_long_args(self.batch_args)

    def _job_directives(self, job_name: str, output: str, error: str) -> list[str]:
        return [f"--output={output}", f"--error={error}", f"--job-name={job_name}"]
