"""IBM LSF settings: ``jsrun`` run settings and ``bsub`` batch settings.

Flags follow the jsrun and bsub manuals (IBM Spectrum LSF / Job Step Manager docs,
https://www.ibm.com/docs/en/spectrum-lsf).
"""

from __future__ import annotations

import copy
import typing as t
from pprint import pformat

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

__all__ = ["BsubBatchSettings", "JsrunSettings"]

# jsrun options that describe resource sets; an ERF file (MPMD or set_erf_sets) replaces them.
_ERF_REPLACED_ARGS = frozenset(
    {
        "tasks_per_rs", "a", "np", "p", "cpu_per_rs", "c", "gpu_per_rs", "g",
        "latency_priority", "l", "memory_per_rs", "m", "nrs", "n", "rs_per_host", "r",
        "rs_per_socket", "K", "appfile", "f", "allocate_only", "A", "launch_node_task", "H",
        "use_reservation", "J", "use_resources", "bind", "b", "launch_distribution", "d",
    }
)  # fmt: skip

# Working directory and output files are chosen by the launcher.
_JSRUN_LAUNCHER_ARGS = frozenset({"chdir", "h", "stdio_stdout", "o", "stdio_stderr", "k"})


class JsrunSettings(RunSettings):
    """Run an executable with ``jsrun`` on an LSF system.

    :param exe: executable
    :param exe_args: executable arguments
    :param run_args: jsrun arguments without dashes (None for a flag)
    :param env_vars: environment variables, passed with ``-E``
    """

    reserved_run_args: t.ClassVar[frozenset[str]] = frozenset({"chdir", "h"})

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        **_kwargs: t.Any,
    ) -> None:
        super().__init__(
            exe, exe_args, run_command="jsrun", run_args=run_args, env_vars=env_vars, **_kwargs
        )
        # One line of the ERF file used for MPMD (or explicit SPMD) launches.
        self.erf_sets: dict[str, str] = {"host": "*", "cpu": "*", "ranks": "1"}
        self.mpmd_preamble_lines: list[str] = []
        self.mpmd: list[RunSettings] = []
        self.individual_suffix = ""

    def set_num_rs(self, num_rs: str | int) -> None:
        """Set ``--nrs``, a number of resource sets or ``ALL_HOSTS``."""
        self.run_args["nrs"] = num_rs if isinstance(num_rs, str) else int(num_rs)

    def set_cpus_per_rs(self, cpus_per_rs: int) -> None:
        """Set ``--cpu_per_rs``, a number of CPUs or ``ALL_CPUS``.

        :raises ValueError: fewer CPUs than a colocated database needs
        """
        colo = self.colocated_db_settings
        if colo:
            db_cpus = int(colo.get("db_cpus", 0))
            if not db_cpus:
                raise ValueError("db_cpus must be configured on colocated_db_settings")
            if not isinstance(cpus_per_rs, str) and int(cpus_per_rs) < db_cpus:
                raise ValueError(
                    f"Cannot set cpus_per_rs ({cpus_per_rs}) to less than db_cpus ({db_cpus})"
                )
        self.run_args["cpu_per_rs"] = (
            cpus_per_rs if isinstance(cpus_per_rs, str) else int(cpus_per_rs)
        )

    def set_gpus_per_rs(self, gpus_per_rs: int) -> None:
        """Set ``--gpu_per_rs``, a number of GPUs or ``ALL_GPUS``."""
        self.run_args["gpu_per_rs"] = (
            gpus_per_rs if isinstance(gpus_per_rs, str) else int(gpus_per_rs)
        )

    def set_rs_per_host(self, rs_per_host: int) -> None:
        """Set ``--rs_per_host``."""
        self.run_args["rs_per_host"] = int(rs_per_host)

    def set_tasks(self, tasks: int) -> None:
        """Set ``--np``."""
        self.run_args["np"] = int(tasks)

    def set_tasks_per_rs(self, tasks_per_rs: int) -> None:
        """Set ``--tasks_per_rs``."""
        self.run_args["tasks_per_rs"] = int(tasks_per_rs)

    def set_tasks_per_node(self, tasks_per_node: int) -> None:
        """Alias of :meth:`set_tasks_per_rs` (a resource set stands for a node here)."""
        self.set_tasks_per_rs(int(tasks_per_node))

    def set_cpus_per_task(self, cpus_per_task: int) -> None:
        """Alias of :meth:`set_cpus_per_rs`."""
        self.set_cpus_per_rs(int(cpus_per_task))

    def set_memory_per_rs(self, memory_per_rs: int) -> None:
        """Set ``--memory_per_rs`` in megabytes."""
        self.run_args["memory_per_rs"] = int(memory_per_rs)

    def set_memory_per_node(self, memory_per_node: int) -> None:
        """Alias of :meth:`set_memory_per_rs`."""
        self.set_memory_per_rs(int(memory_per_node))

    def set_binding(self, binding: str) -> None:
        """Set ``--bind``, e.g. ``packed:21``."""
        self.run_args["bind"] = binding

    def make_mpmd(self, settings: RunSettings) -> None:
        """Launch ``settings`` in the same ERF file as these settings.

        :raises SSUnsupportedError: these settings run a colocated database
        """
        if self.colocated_db_settings:
            raise SSUnsupportedError("Colocated models cannot be run as a mpmd workload")
        self.mpmd.append(settings)

    def set_mpmd_preamble(self, preamble_lines: list[str]) -> None:
        """Set the lines at the top of the ERF file, e.g. ``overlapping-rs : allow``."""
        self.mpmd_preamble_lines = list(preamble_lines)

    def set_erf_sets(self, erf_sets: dict[str, str]) -> None:
        """Set this entry's ERF resources, e.g. ``{"host": "1", "cpu": "{0:21}", "gpu": "*"}``.

        ``rank`` gives explicit ranks (``"1, 2, 5"``), ``rank_count`` only their number;
        ``rank`` wins when both are given.
        """
        self.erf_sets = copy.deepcopy(erf_sets)

    def set_individual_output(self, suffix: str | None = None) -> None:
        """Set ``--stdio_mode=individual``: one output file per task, named with ``suffix``.

        :param suffix: added before the file ending; may hold jsrun's ``%j``, ``%h``, ``%p``
            or ``%t`` placeholders
        """
        self.run_args["stdio_mode"] = "individual"
        if suffix:
            self.individual_suffix = suffix

    def format_run_args(self) -> list[str]:
        """See base; resource-set options are left out when an ERF file describes them."""
        skipped = _JSRUN_LAUNCHER_ARGS
        if self.mpmd or "erf_input" in self.run_args:
            skipped = skipped | _ERF_REPLACED_ARGS
        return format_short_long_args({k: v for k, v in self.run_args.items() if k not in skipped})

    def format_env_vars(self) -> list[str]:
        """``-E NAME=value`` per variable, or ``-E NAME`` to export the caller's value."""
        formatted: list[str] = []
        for name, value in self.env_vars.items():
            formatted += ["-E", f"{name}={value}" if value else name]
        return formatted

    def _prep_colocated_db(self, db_cpus: int) -> None:
        """Make room for a colocated database: enough CPUs and one resource set per host."""
        cpus_flag_set = False
        for flag in ("cpu_per_rs", "c"):
            value = self.run_args.get(flag)
            if value:
                cpus_flag_set = True
                if int(value) < db_cpus:
                    logger.info(
                        f"{flag} flag was set to {value}, but colocated DB requires {db_cpus} "
                        f"CPUs per RS. Automatically setting {flag} flag to {db_cpus}"
                    )
                    self.run_args[flag] = db_cpus
        if not cpus_flag_set:
            logger.info(f"Colocated DB requires {db_cpus} CPUs per RS; setting --cpu_per_rs")
            self.set_cpus_per_rs(db_cpus)

        rs_flag_set = False
        for flag in ("rs_per_host", "r"):
            if flag in self.run_args:
                rs_flag_set = True
                if self.run_args[flag] != 1:
                    logger.info(
                        f"{flag} flag was set to {self.run_args[flag]}, but colocated DB "
                        f"requires running ONE resource set per host. Setting {flag} to 1"
                    )
                    self.run_args[flag] = "1"
        if not rs_flag_set:
            logger.info("Colocated DB requires one resource set per host; setting --rs_per_host=1")
            self.set_rs_per_host(1)

    def __str__(self) -> str:
        text = super().__str__()
        if self.mpmd:
            text += "\nERF settings: " + pformat(self.erf_sets)
        return text


class BsubBatchSettings(BatchSettings):
    """Submit a batch job with ``bsub``.

    :param nodes: number of nodes (``-nnodes``)
    :param time: wall time as ``hh:mm`` (seconds of ``hh:mm:ss`` are dropped)
    :param project: project to charge (``-P``); ``account`` is an alias
    :param batch_args: extra bsub arguments without dashes (None for a flag)
    :param smts: simultaneous multithreading level, added to ``-alloc_flags`` as ``smtN``
    """

    directive_prefix: t.ClassVar[str] = "#BSUB"

    # Options that expert mode (-csm y) replaces with its own resource request.
    easy_settings: t.ClassVar[tuple[str, ...]] = ("ln_slots", "ln_mem", "cn_cu", "nnodes")

    def __init__(
        self,
        nodes: int | None = None,
        time: str | None = None,
        project: str | None = None,
        batch_args: dict[str, str | None] | None = None,
        smts: int = 0,
        **kwargs: t.Any,
    ) -> None:
        self.project: str | None = None
        self.walltime: str | None = None
        account = kwargs.pop("account", None)
        super().__init__(
            "bsub",
            batch_args=batch_args,
            nodes=nodes,
            account=project or account,
            time=time,
            **kwargs,
        )
        self.smts = 0
        if smts:
            self.set_smts(smts)
        self.expert_mode = False

    def set_walltime(self, walltime: str) -> None:
        """Set ``-W`` as ``hh:mm``; the seconds of an ``hh:mm:ss`` value are dropped."""
        if walltime and len(walltime.split(":")) > 2:
            walltime = ":".join(walltime.split(":")[:2])
        self.walltime = walltime

    def set_smts(self, smts: int) -> None:
        """Set the SMT level added to ``-alloc_flags`` unless it already names one."""
        self.smts = smts

    def set_project(self, project: str) -> None:
        """Set ``-P``."""
        if project:
            self.project = project

    def set_account(self, account: str) -> None:
        """Alias of :meth:`set_project`."""
        self.set_project(account)

    def set_nodes(self, num_nodes: int) -> None:
        """Set ``-nnodes``."""
        if num_nodes:
            self.batch_args["nnodes"] = str(int(num_nodes))

    def set_expert_mode_req(self, res_req: str, slots: int) -> None:
        """Switch to expert mode: ``-csm y -R res_req -n slots``, ignoring easy-mode options."""
        self.expert_mode = True
        self.batch_args["csm"] = "y"
        self.batch_args["R"] = res_req
        self.batch_args["n"] = str(slots)

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Set ``-m "host1 host2"``."""
        self.batch_args["m"] = '"' + " ".join(as_host_list(host_list)) + '"'

    def set_tasks(self, tasks: int) -> None:
        """Set ``-n``."""
        self.batch_args["n"] = str(int(tasks))

    def set_queue(self, queue: str) -> None:
        """Set ``-q``."""
        if queue:
            self.batch_args["q"] = queue

    def _alloc_flags(self) -> str | None:
        """The ``-alloc_flags`` value: the user's flags plus ``smtN``, quoted when several."""
        given = self.batch_args.get("alloc_flags")
        flags = given.strip('"').split() if given else []
        if self.smts and not any(flag.startswith("smt") for flag in flags):
            flags.append(f"smt{self.smts}")
        if not flags:
            return given
        return '"' + " ".join(flags) + '"' if len(flags) > 1 else flags[0]

    def _format_alloc_flags(self) -> None:
        """Store the formatted ``-alloc_flags`` in ``batch_args`` (as SmartSim does)."""
        flags = self._alloc_flags()
        if flags is not None:
            self.batch_args["alloc_flags"] = flags

    def format_batch_args(self) -> list[str]:
        """See base. Walltime and project are job directives (see ``render_script``)."""
        args = dict(self.batch_args)
        flags = self._alloc_flags()
        if flags is not None:
            args["alloc_flags"] = flags
        formatted: list[str] = []
        for name, value in args.items():
            if self.expert_mode and name in self.easy_settings:
                continue
            formatted.append(f"-{name}" if value is None or value == "" else f"-{name} {value}")
        return formatted

    def _job_directives(self, job_name: str, output: str, error: str) -> list[str]:
        directives = [f"-W {self.walltime}"] if self.walltime else []
        if self.project:
            directives.append(f"-P {self.project}")
        return [*directives, f"-J {job_name}", f"-o {output}", f"-e {error}"]
