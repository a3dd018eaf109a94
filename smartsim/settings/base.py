"""RunSettings and BatchSettings: how an entity is run, rendered as argv pieces, no I/O."""

from __future__ import annotations

import copy
import shlex
import typing as t

from smartsim._core.utils.helpers import (
    expand_exe_path,
    fmt_walltime,
    is_valid_cmd,
    refuse_control_characters,
)
from smartsim.log import get_logger
from smartsim.settings.containers import Container

logger = get_logger(__name__)

RunArgValue = int | str | float | None


def _build_exe_args(exe_args: str | list[str] | None) -> list[str]:
    """Turn a string (split on white space) or a list of strings into a list of arguments."""
    if exe_args is None:
        return []
    if isinstance(exe_args, str):
        return exe_args.split()
    if isinstance(exe_args, list) and all(isinstance(arg, str) for arg in exe_args):
        return list(exe_args)
    raise TypeError(f"Executable arguments must be a str or a list of str, got {exe_args!r}")


def as_host_list(hosts: str | list[str], what: str = "host_list") -> list[str]:
    """Host names from one name or a list of names, checked once for every settings class.

    :raises TypeError: not a str or a list of str, or a name is empty
    """
    names = [hosts.strip()] if isinstance(hosts, str) else hosts
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise TypeError(f"{what} must be a non-empty str or a list of them, got {hosts!r}")
    return list(names)


def format_short_long_args(args: t.Mapping[str, RunArgValue]) -> list[str]:
    """Render options as ``-x value`` for one letter and ``--name=value`` otherwise.

    srun, sbatch, aprun and jsrun all take this syntax. An option whose value is None (or
    empty) is rendered as a bare flag.
    """
    formatted: list[str] = []
    for name, value in args.items():
        flag_only = value is None or value == ""
        if len(name) == 1:
            formatted += [f"-{name}"] if flag_only else [f"-{name}", str(value)]
        else:
            formatted.append(f"--{name}" if flag_only else f"--{name}={value}")
    return formatted


def format_settings_dict(args: t.Mapping[str, t.Any]) -> str:
    """One tab-indented ``name = value`` line per item: how SmartSim prints arguments."""
    return "\n".join(f"\t{name} = {value}" for name, value in args.items())


_V = t.TypeVar("_V")


class ArgMap(dict[str, _V]):
    """Run or batch arguments: a dict that refuses control characters in names and values.

    Arguments are rendered into command lines and into batch-script directives, where a
    newline would start a line of its own (``account="x\ntouch INJECTED"``). Every way of
    setting an item (the settings' own setters, ``settings.batch_args[...] = ...``) goes
    through this one check.
    """

    def __init__(self, items: t.Mapping[str, _V] | None = None, what: str = "argument") -> None:
        super().__init__()
        self._what = what
        self.update(items or {})

    def __setitem__(self, name: str, value: _V) -> None:
        refuse_control_characters(str(name), f"The name of {self._what} {name!r}")
        if value is not None:
            refuse_control_characters(str(value), f"The value of {self._what} {name!r}")
        super().__setitem__(name, value)

    def update(self, *args: t.Any, **kwargs: _V) -> None:
        """See dict; each item is checked."""
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def setdefault(self, name: str, default: _V = None) -> _V:  # type: ignore[assignment]
        """See dict; a new item is checked."""
        if name not in self:
            self[name] = default
        return self[name]

    # Takes what update takes, where dict's __or__ (which mypy checks |= against) takes
    # only a dict and may widen the key and value types.
    def __ior__(self, other: t.Any) -> ArgMap[_V]:  # type: ignore[override, misc]
        self.update(other)
        return self

    def __deepcopy__(self, memo: dict[int, t.Any]) -> ArgMap[_V]:
        return ArgMap({k: copy.deepcopy(v, memo) for k, v in self.items()}, self._what)


class SettingsBase:
    """Common base of run and batch settings."""


class RunSettings(SettingsBase):
    """How to run one executable: the run command, its arguments and environment.

    The base class runs the executable directly (the local launcher). Subclasses add the
    flags of one run command (srun, mpirun, ...) and override the setters that it supports.
    """

    reserved_run_args: t.ClassVar[frozenset[str]] = frozenset()
    """Run arguments that the library sets itself and users may not set."""

    def __init__(
        self,
        exe: str,
        exe_args: str | list[str] | None = None,
        run_command: str = "",
        run_args: dict[str, RunArgValue] | None = None,
        env_vars: dict[str, str | None] | None = None,
        container: Container | None = None,
        **_kwargs: t.Any,
    ) -> None:
        """
        :param exe: executable name or path (resolved on PATH unless run in a container)
        :param exe_args: arguments, as a list or a white-space separated string
        :param run_command: launch binary, e.g. ``srun``; empty to run ``exe`` directly
        :param run_args: arguments for the run command, without leading dashes
        :param env_vars: environment variables for the job (None values pass the name only)
        :param container: container to run the executable in
        """
        self.exe = [exe] if container else [expand_exe_path(exe)]
        self.exe_args = exe_args or []
        self.run_args = run_args or {}
        self.env_vars = env_vars or {}
        self.container = container
        self._run_command = run_command
        self.mpmd: list[RunSettings] = []
        self.colocated_db_settings: dict[str, t.Any] | None = None
        """Set by Model.colocate_db_*: options of the database launched beside the job."""
        self._mpmd_preamble: list[str] = []

    # -- plain properties -------------------------------------------------------------------

    @property
    def exe_args(self) -> list[str]:
        """Arguments passed to the executable."""
        return self._exe_args

    @exe_args.setter
    def exe_args(self, value: str | list[str] | None) -> None:
        self._exe_args = _build_exe_args(value)

    @property
    def run_args(self) -> dict[str, RunArgValue]:
        """Arguments of the run command (names without dashes)."""
        return self._run_args

    @run_args.setter
    def run_args(self, value: dict[str, RunArgValue]) -> None:
        self._run_args = ArgMap(copy.deepcopy(dict(value)), "run argument")

    @property
    def env_vars(self) -> dict[str, str | None]:
        """Environment variables given to the job."""
        return self._env_vars

    @env_vars.setter
    def env_vars(self, value: dict[str, str | None]) -> None:
        self._env_vars = copy.deepcopy(dict(value))

    @property
    def run_command(self) -> str | None:
        """The run command, as a full path when it is found on this machine, else as given."""
        cmd = self._run_command
        if not cmd:
            return None
        return expand_exe_path(cmd) if is_valid_cmd(cmd) else cmd

    # -- generic editing --------------------------------------------------------------------

    def add_exe_args(self, args: str | list[str]) -> None:
        """Append arguments to the executable's arguments."""
        self._exe_args.extend(_build_exe_args(args))

    def update_env(self, env_vars: dict[str, str | int | float | bool]) -> None:
        """Add or change environment variables; values are stored as strings."""
        for name, value in env_vars.items():
            if not isinstance(value, (str, int, float, bool)):
                raise TypeError(
                    f"env_vars[{name!r}] was of type {type(value).__name__}, "
                    "not str, int, float or bool"
                )
            self._env_vars[name] = str(value)

    def set(self, arg: str, value: str | None = None, condition: bool = True) -> None:
        """Set a run argument by name (dashes stripped); ``None`` makes it a bare flag.

        :param arg: the argument's name, e.g. ``"nodes"`` or ``"--nodes"``
        :param value: its value, or None for a flag
        :param condition: set it only when this is true
        """
        if not isinstance(arg, str):
            raise TypeError("Argument name should be of type str")
        if value is not None and not isinstance(value, str):
            raise TypeError("Argument value should be of type str or None")
        arg = arg.strip().lstrip("-")
        if not condition:
            logger.info(f"Could not set argument '{arg}': condition not met")
            return
        if arg in self.reserved_run_args:
            logger.warning(
                f"Could not set argument '{arg}': it is a reserved argument of "
                f"'{type(self).__name__}'"
            )
            return
        if arg in self._run_args and value != self._run_args[arg]:
            logger.warning(f"Overwriting argument '{arg}' with value '{value}'")
        self._run_args[arg] = value

    def _set_flag(self, name: str, enabled: bool) -> None:
        """Add the bare flag ``name`` to the run arguments, or remove it."""
        if enabled:
            self._run_args[name] = None
        else:
            self._run_args.pop(name, None)

    def _unsupported(self, what: str) -> None:
        """Warn, in SmartSim's words, that this run command has no flag for ``what``."""
        logger.warning(
            f"{what} specification not implemented for this RunSettings type: {type(self)}"
        )

    # -- setters that a run command may support ---------------------------------------------
    # The base class warns and changes nothing; the wording of each warning is SmartSim's.

    def set_nodes(self, nodes: int) -> None:
        """Set the number of nodes."""
        self._unsupported("Node")

    def set_tasks(self, tasks: int) -> None:
        """Set the number of tasks."""
        self._unsupported("Task")

    def set_tasks_per_node(self, tasks_per_node: int) -> None:
        """Set the number of tasks per node."""
        self._unsupported("Task per node")

    def set_task_map(self, task_mapping: str) -> None:
        """Set the mapping of tasks to resources."""
        self._unsupported("Task mapping")

    def set_cpus_per_task(self, cpus_per_task: int) -> None:
        """Set the number of CPUs per task."""
        self._unsupported("CPU per node")

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Run on these hosts."""
        self._unsupported("Hostlist")

    def set_hostlist_from_file(self, file_path: str) -> None:
        """Run on the hosts listed in a file."""
        self._unsupported("Hostlist from file")

    def set_excluded_hosts(self, host_list: str | list[str]) -> None:
        """Do not run on these hosts."""
        self._unsupported("Excluded host list")

    def set_cpu_bindings(self, bindings: int | list[int]) -> None:
        """Bind tasks to these CPUs."""
        self._unsupported("CPU binding")

    def set_memory_per_node(self, memory_per_node: int) -> None:
        """Set the memory per node in megabytes."""
        self._unsupported("Memory per node")

    def set_verbose_launch(self, verbose: bool) -> None:
        """Ask the run command for verbose output."""
        self._unsupported("Verbose")

    def set_quiet_launch(self, quiet: bool) -> None:
        """Ask the run command for quiet output."""
        self._unsupported("Quiet")

    def set_broadcast(self, dest_path: str | None = None) -> None:
        """Copy the executable to the nodes before running it."""
        self._unsupported("Broadcast")

    def set_node_feature(self, feature_list: str | list[str]) -> None:
        """Run only on nodes with these features (SmartSim has this setter on srun only)."""
        self._unsupported("Node feature")

    def set_binding(self, binding: str) -> None:
        """Set the task binding policy."""
        self._unsupported("binding")

    def set_walltime(self, walltime: str) -> None:
        """Set the wall time limit (HH:MM:SS)."""
        self._unsupported("Walltime")

    def set_time(self, hours: int = 0, minutes: int = 0, seconds: int = 0) -> None:
        """Set the wall time limit from hours, minutes and seconds.

        :raises ValueError: a part is not an integer (as ``int()`` raises)
        """
        self.set_walltime(fmt_walltime(int(hours), int(minutes), int(seconds)))

    def set_mpmd_preamble(self, preamble_lines: list[str]) -> None:
        """Set lines that precede an MPMD launch."""
        self._unsupported("MPMD preamble")

    def make_mpmd(self, settings: RunSettings) -> None:
        """Run ``settings`` together with these as one MPMD job (warns here, as SmartSim)."""
        self._unsupported("Make MPMD")

    # -- rendering --------------------------------------------------------------------------

    def format_run_args(self) -> list[str]:
        """The run command's arguments as argv pieces."""
        formatted: list[str] = []
        for arg, value in self._run_args.items():
            formatted.append(arg)
            if value is not None:
                formatted.append(str(value))
        return formatted

    def format_env_vars(self) -> list[str]:
        """The environment as ``NAME=value`` strings."""
        return [f"{key}={'' if val is None else val}" for key, val in self._env_vars.items()]

    def __str__(self) -> str:
        """SmartSim's summary: executable, arguments, run command and its arguments."""
        text = f"Executable: {self.exe[0]}\nExecutable Arguments: {' '.join(self.exe_args)}"
        if self._run_command:
            text += f"\nRun Command: {self._run_command}"
        if self._run_args:
            text += f"\nRun Arguments:\n{format_settings_dict(self._run_args)}"
        if self.colocated_db_settings:
            text += "\nCo-located Database: True"
        return text


class BatchSettings(SettingsBase):
    """How to submit a batch job: the batch command, its directives and a preamble."""

    directive_prefix: t.ClassVar[str] = ""
    """What each directive line of the batch script starts with, e.g. ``#SBATCH``."""

    def __init__(
        self,
        batch_cmd: str,
        batch_args: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        self._batch_cmd = batch_cmd
        self.batch_args = batch_args or {}
        self._preamble: list[str] = []
        for field in ("nodes", "queue", "time", "account"):  # subclasses store some elsewhere
            if isinstance(kwargs.get(field), str):
                refuse_control_characters(kwargs[field], f"The batch setting {field!r}")
        nodes = kwargs.get("nodes")
        if nodes:
            self.set_nodes(nodes)
        queue = kwargs.get("queue")
        if queue:
            self.set_queue(queue)
        time = kwargs.get("time")
        if time:
            self.set_walltime(time)
        account = kwargs.get("account")
        if account:
            self.set_account(account)

    @property
    def batch_cmd(self) -> str:
        """The batch command, as a full path when found on this machine."""
        return (
            expand_exe_path(self._batch_cmd) if is_valid_cmd(self._batch_cmd) else self._batch_cmd
        )

    @property
    def batch_args(self) -> dict[str, str | None]:
        """Arguments of the batch command (names without dashes)."""
        return self._batch_args

    @batch_args.setter
    def batch_args(self, value: dict[str, str | None]) -> None:
        self._batch_args = ArgMap(copy.deepcopy(dict(value)), "batch argument")

    def set_batch_command(self, command: str) -> None:
        """Replace the batch command (e.g. a wrapper around sbatch)."""
        self._batch_cmd = command

    def set_nodes(self, num_nodes: int) -> None:
        """Set the number of nodes."""
        raise NotImplementedError

    def set_hostlist(self, host_list: str | list[str]) -> None:
        """Run on these hosts."""
        raise NotImplementedError

    def set_queue(self, queue: str) -> None:
        """Submit to this queue or partition."""
        raise NotImplementedError

    def set_walltime(self, walltime: str) -> None:
        """Set the wall time limit."""
        raise NotImplementedError

    def set_account(self, account: str) -> None:
        """Charge the job to this account."""
        raise NotImplementedError

    def format_batch_args(self) -> list[str]:
        """The directives, without their prefix (``--nodes=1``, ``-l nodes=1``, ...)."""
        raise NotImplementedError

    def add_preamble(self, lines: str | list[str]) -> None:
        """Add lines run at the top of the batch script, before the job's commands."""
        if isinstance(lines, str):
            self._preamble.append(lines)
        elif isinstance(lines, list) and all(isinstance(line, str) for line in lines):
            self._preamble.extend(lines)
        else:
            raise TypeError("Expected a str or a list of str for the preamble")

    @property
    def preamble(self) -> t.Iterable[str]:
        """The preamble lines."""
        return iter(self._preamble)

    def _job_directives(self, job_name: str, output: str, error: str) -> list[str]:
        """Directives (without prefix) naming the job and its output and error files."""
        raise NotImplementedError(f"{type(self).__name__} cannot render a batch script")

    def render_script(
        self,
        job_name: str,
        output: str,
        error: str,
        commands: list[list[str]],
        shebang: str = "#!/bin/bash",
    ) -> str:
        """Return the batch script text that runs ``commands`` (a pure function, no I/O).

        Layout as SmartSim writes it: shebang, a blank line, the job's name/output/error
        directives, the directives of ``format_batch_args``, the preamble, then each command
        shell-quoted and sent to the background, and a final ``wait`` so that the job lasts
        as long as its longest step.

        :param job_name: the batch job's name
        :param output: path of the job's standard output file
        :param error: path of the job's standard error file
        :param commands: one argv per step to run
        :param shebang: the script's first line
        """
        directives = [*self._job_directives(job_name, output, error), *self.format_batch_args()]
        for directive in directives:  # names and paths too, not only the batch arguments
            refuse_control_characters(directive, f"A directive of batch job {job_name!r}")
        lines = [shebang, ""]
        lines += [f"{self.directive_prefix} {directive}" for directive in directives]
        lines += self._preamble
        for argv in commands:
            lines += ["", f"{shlex.join(argv)} &"]
        if commands:
            lines += ["", "wait"]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        """SmartSim's summary: the batch command and its arguments."""
        text = f"Batch Command: {self._batch_cmd}"
        if self._batch_args:
            text += f"\nBatch arguments:\n{format_settings_dict(self._batch_args)}"
        return text
