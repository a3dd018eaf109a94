"""Factories that pick the settings class for a launcher and run command (as SmartSim 0.8)."""

from __future__ import annotations

import difflib
import inspect
import typing as t

from smartsim._core.utils.helpers import is_valid_cmd
from smartsim.error import SmartSimError
from smartsim.log import get_logger
from smartsim.settings.alpsSettings import AprunSettings
from smartsim.settings.base import BatchSettings, RunArgValue, RunSettings
from smartsim.settings.containers import Container
from smartsim.settings.dragonRunSettings import DragonRunSettings
from smartsim.settings.lsfSettings import BsubBatchSettings, JsrunSettings
from smartsim.settings.mpiSettings import MpiexecSettings, MpirunSettings, OrterunSettings
from smartsim.settings.palsSettings import PalsMpiexecSettings
from smartsim.settings.pbsSettings import QsubBatchSettings
from smartsim.settings.sgeSettings import SgeQsubBatchSettings
from smartsim.settings.slurmSettings import SbatchSettings, SrunSettings
from smartsim.wlm import detect_launcher

logger = get_logger(__name__)

__all__ = ["create_batch_settings", "create_run_settings"]

# Batch settings class of each launcher.
_BATCH_BY_LAUNCHER: dict[str, type[BatchSettings]] = {
    "pbs": QsubBatchSettings,
    "slurm": SbatchSettings,
    "lsf": BsubBatchSettings,
    "pals": QsubBatchSettings,
    "sge": SgeQsubBatchSettings,
}

# Settings class of each run command; mpiexec means PALS' mpiexec under the pals launcher.
_SUPPORTED: dict[str, t.Callable[[str], type[RunSettings]]] = {
    "aprun": lambda launcher: AprunSettings,
    "srun": lambda launcher: SrunSettings,
    "mpirun": lambda launcher: MpirunSettings,
    "mpiexec": lambda launcher: PalsMpiexecSettings if launcher == "pals" else MpiexecSettings,
    "orterun": lambda launcher: OrterunSettings,
    "jsrun": lambda launcher: JsrunSettings,
}

# Run commands of each launcher, in order of likely preference; "" means no run command.
_RUN_COMMANDS_BY_LAUNCHER: dict[str, list[str]] = {
    "dragon": [""],
    "slurm": ["srun", "mpirun", "mpiexec"],
    "pbs": ["aprun", "mpirun", "mpiexec"],
    "pals": ["mpiexec"],
    "lsf": ["jsrun", "mpirun", "mpiexec"],
    "sge": ["mpirun", "mpiexec"],
    "local": [""],
}

# Parameters that create_run_settings passes itself, whatever the class.
_FACTORY_PARAMS = frozenset({"exe", "exe_args", "run_command", "run_args", "env_vars", "container"})


def create_batch_settings(
    launcher: str,
    nodes: int = 1,
    time: str = "",
    queue: str = "",
    account: str = "",
    batch_args: dict[str, str | None] | None = None,
    **kwargs: t.Any,
) -> BatchSettings:
    """Create the batch settings of ``launcher`` (``auto`` detects it).

    ``dragon`` submits through the workload manager found on the machine.

    :param launcher: pbs, pals, slurm, lsf, sge, dragon or auto
    :param nodes: number of nodes
    :param time: wall time, e.g. ``"10:00:00"``
    :param queue: queue or partition
    :param account: account or project to charge
    :param batch_args: extra arguments of the batch command
    :param kwargs: passed to the settings class (e.g. ``ncpus`` for PBS)
    :raises SmartSimError: local launcher, or a launcher without batch support
    """
    launcher = launcher.lower()
    if launcher in ("auto", "dragon"):
        launcher = detect_launcher()
    if launcher == "local":
        raise SmartSimError("Local launcher does not support batch workloads")
    batch_class = _BATCH_BY_LAUNCHER.get(launcher)
    if batch_class is None:
        raise SmartSimError(
            f"User attempted to make batch settings for unsupported launcher {launcher!r}; "
            f"supported launchers: {', '.join(sorted(_BATCH_BY_LAUNCHER))}"
        )
    return batch_class(
        nodes=nodes, time=time, batch_args=batch_args, queue=queue, account=account, **kwargs
    )


def detect_run_command(
    launcher: str, run_commands: t.Mapping[str, list[str]] = _RUN_COMMANDS_BY_LAUNCHER
) -> str:
    """The first of ``launcher``'s ``run_commands`` found on PATH ("" for local and dragon);
    the Orchestrator passes its own, shorter lists."""
    if launcher not in run_commands:
        raise SmartSimError(
            f"Could not automatically detect a run command to use for launcher {launcher!r}: "
            f"unknown launcher; known launchers: {', '.join(sorted(run_commands))}"
        )
    if launcher in ("local", "dragon"):
        return ""
    candidates = run_commands[launcher]
    for command in candidates:
        if is_valid_cmd(command):
            return command
    raise SmartSimError(
        "Could not automatically detect a run command to use for launcher "
        f"{launcher}\nSearched for and could not find the following commands: {candidates}"
    )


def _accepted_params(cls: type[RunSettings]) -> set[str]:
    """Named parameters of ``cls.__init__`` and of the ``__init__``s it forwards ``**kwargs`` to."""
    accepted: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        accepted |= {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if klass is RunSettings or not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    accepted.discard("self")
    return accepted


def _drop_unknown_kwargs(cls: type[RunSettings], kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return the keyword arguments ``cls`` takes; warn, naming them, about the others."""
    accepted = _accepted_params(cls) - _FACTORY_PARAMS
    unknown = [name for name in kwargs if name not in accepted]
    if unknown:
        known = sorted(accepted | _FACTORY_PARAMS)
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        logger.warning(
            f"create_run_settings ignored unknown keyword argument(s) {', '.join(hints)} "
            f"for {cls.__name__}; accepted: {', '.join(known)}"
        )
    return {name: value for name, value in kwargs.items() if name in accepted}


def create_run_settings(
    launcher: str,
    exe: str,
    exe_args: list[str] | None = None,
    run_command: str = "auto",
    run_args: dict[str, RunArgValue] | None = None,
    env_vars: dict[str, str | None] | None = None,
    container: Container | None = None,
    **kwargs: t.Any,
) -> RunSettings:
    """Create run settings for ``launcher`` with the class of ``run_command``.

    ``run_command="auto"`` takes the first run command of the launcher found on PATH (none
    for local and dragon). An unknown run command gets plain ``RunSettings`` running it as
    given. Keyword arguments the chosen class does not take are ignored with a warning.

    :param launcher: local, slurm, pbs, pals, lsf, sge, dragon or auto
    :param exe: executable
    :param exe_args: executable arguments
    :param run_command: srun, mpirun, mpiexec, orterun, aprun, jsrun, another command, "" or
        auto
    :param run_args: run command arguments
    :param env_vars: environment variables
    :param container: container to run in
    :param kwargs: class-specific options, e.g. ``alloc`` (srun), ``fail_if_missing_exec``
    :raises SmartSimError: no run command found for the launcher
    """
    if launcher == "auto":
        launcher = detect_launcher()
    launcher = launcher.lower()
    run_command = run_command.lower() if run_command else ""
    if run_command == "auto":
        run_command = detect_run_command(launcher)

    if launcher == "dragon":
        options = _drop_unknown_kwargs(DragonRunSettings, kwargs)
        return DragonRunSettings(
            exe, exe_args, env_vars=env_vars, run_args=run_args, container=container, **options
        )
    if run_command in _SUPPORTED:
        cls = _SUPPORTED[run_command](launcher)
        options = _drop_unknown_kwargs(cls, kwargs)
        return cls(
            exe, exe_args, run_args=run_args, env_vars=env_vars, container=container, **options
        )
    # A run command SmartSim has no class for, no run command, or local with "auto".
    _drop_unknown_kwargs(RunSettings, kwargs)
    return RunSettings(exe, exe_args, run_command, run_args, env_vars, container=container)
