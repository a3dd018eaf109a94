"""Slurm helpers for driver scripts: get and release an allocation, check a partition.

Names and behaviour as SmartSim 0.8's ``smartsim.wlm.slurm``. Commands run through one
helper; their output is read by the Slurm launcher's parsers.
"""

from __future__ import annotations

import os
import shutil

from smartsim._core.launcher.slurm import parser
from smartsim._core.utils.helpers import fmt_walltime
from smartsim._core.utils.shell import CommandResult, run_command
from smartsim.error import AllocationError, LauncherError, SmartSimError, SSReservedKeywordError
from smartsim.log import get_logger

logger = get_logger(__name__)

__all__ = [
    "get_allocation",
    "get_default_partition",
    "get_hosts",
    "get_queue",
    "get_tasks",
    "get_tasks_per_node",
    "release_allocation",
    "validate",
]

_RESERVED_OPTIONS = frozenset({"t", "time", "N", "nodes", "A", "account"})


def _run(argv: list[str]) -> CommandResult:
    """Run one Slurm command (the single place this module touches the outside)."""
    if not shutil.which(argv[0]):
        raise LauncherError(f"Attempted Slurm function without access to {argv[0]} on PATH")
    return run_command(argv, timeout=120.0)


def _validate_time_format(time: str) -> str:
    """``HH:MM:SS`` checked and normalised.

    :raises ValueError: not three integers separated by colons
    """
    try:
        hours, minutes, seconds = map(int, time.split(":"))
    except ValueError as exc:
        raise ValueError("Input time must be formatted as `HH:MM:SS` with valid Integers.") from exc
    return fmt_walltime(hours, minutes, seconds)


def salloc_argv(
    nodes: int, time: str | None, account: str | None, options: dict[str, str | None]
) -> list[str]:
    """The salloc command of :func:`get_allocation` (pure).

    :raises SSReservedKeywordError: options repeat time, nodes or account
    """
    reserved = _RESERVED_OPTIONS.intersection(options)
    if reserved:
        raise SSReservedKeywordError(
            f"Expecting time, nodes, account as an argument. Also received: {reserved}"
        )
    argv = ["salloc", "--no-shell", "-N", str(nodes), "-J", "SmartSim"]
    if time:
        argv += ["-t", _validate_time_format(time)]
    if account:
        argv += ["-A", str(account)]
    for name, value in options.items():
        if len(name) == 1:
            argv += [f"-{name}"] if not value else [f"-{name}", str(value)]
        else:
            argv.append(f"--{name}" if not value else f"--{name}={value}")
    return argv


def get_allocation(
    nodes: int = 1,
    time: str | None = None,
    account: str | None = None,
    options: dict[str, str | None] | None = None,
) -> str:
    """Request an allocation with ``salloc --no-shell`` and return its job id.

    :param nodes: number of nodes
    :param time: wall time as ``HH:MM:SS``
    :param account: account to charge
    :param options: other salloc options without dashes, e.g. ``{"exclusive": None}``
    :raises LauncherError: salloc is not on PATH
    :raises AllocationError: Slurm refused the allocation
    """
    argv = salloc_argv(nodes, time, account, options or {})
    logger.debug(f"Allocation settings: {' '.join(argv[1:])}")
    _, out, err = _run(argv)
    alloc_id = parser.parse_salloc(err)
    if alloc_id is None:
        reason = parser.parse_salloc_error(err) or (err or out).strip()
        raise AllocationError(f"salloc did not grant an allocation: {reason}")
    logger.info(f"Allocation successful with Job ID: {alloc_id}")
    return alloc_id


def release_allocation(alloc_id: str) -> None:
    """Cancel the allocation ``alloc_id``.

    :raises AllocationError: scancel refused (the job may have ended already)
    """
    logger.info(f"Releasing allocation: {alloc_id}")
    rc, out, err = _run(["scancel", str(alloc_id)])
    if rc != 0:
        raise AllocationError(
            f"Unable to revoke your allocation for jobid {alloc_id}: {(err or out).strip()}; "
            "it may have timed out already, or needs cancelling by hand"
        )
    logger.info(f"Successfully freed allocation {alloc_id}")


def get_default_partition() -> str:
    """The partition sinfo marks with ``*``.

    :raises LauncherError: none is marked
    """
    _, out, _ = _run(["sinfo", "--noheader", "--format", "%P"])
    default = parser.parse_default_partition(out)
    if default is None:
        raise LauncherError("Could not find default partition!")
    return default


def validate(nodes: int = 1, ppn: int = 1, partition: str | None = None) -> bool:
    """Whether ``partition`` (default: the default one) has ``nodes`` nodes of ``ppn`` CPUs.

    :raises LauncherError: the partition does not exist, or no default one is found
    """
    name = partition
    if name is None or name == "default":
        try:
            name = get_default_partition()
        except LauncherError as exc:
            raise LauncherError(
                "No partition provided and default partition could not be found"
            ) from exc
    _, out, _ = _run(["sinfo", "--noheader", "--format", "%R %n %c"])
    rows = parser.parse_sinfo_nodes(out)
    if not any(row.partition == name for row in rows):
        raise LauncherError(f"Partition {name} is not found on this system")
    fit = {row.node for row in rows if row.partition == name and row.cpus >= ppn}
    if len(fit) < nodes:
        logger.warning(
            f"{nodes} nodes are not available on the specified partitions.  Only "
            f"{len(fit)} nodes available."
        )
        return False
    logger.info("Successfully validated Slurm with sufficient resources")
    return True


def get_hosts() -> list[str]:
    """Names of the nodes of the allocation this runs in (``SLURM_JOB_NODELIST``).

    :raises SmartSimError: not in an allocation
    """
    nodelist = os.environ.get("SLURM_JOB_NODELIST")
    if not nodelist:
        raise SmartSimError("Could not parse allocation nodes from SLURM_JOB_NODELIST")
    return sorted(parser.expand_hostlist(nodelist))


def get_queue() -> str:
    """The partition of the allocation this runs in.

    :raises SmartSimError: ``SLURM_JOB_PARTITION`` is not set
    """
    queue = os.environ.get("SLURM_JOB_PARTITION")
    if not queue:
        raise SmartSimError("Could not parse queue from SLURM_JOB_PARTITION")
    return queue


def get_tasks() -> int:
    """The number of tasks of the allocation this runs in.

    :raises SmartSimError: ``SLURM_NTASKS`` is not set
    """
    tasks = os.environ.get("SLURM_NTASKS")
    if not tasks:
        raise SmartSimError("Could not parse number of requested tasks from SLURM_NTASKS")
    return int(tasks)


def get_tasks_per_node() -> dict[str, int]:
    """Tasks on each node of the allocation, from ``SLURM_TASKS_PER_NODE`` (``2(x3),1``).

    :raises SmartSimError: ``SLURM_TASKS_PER_NODE`` is not set
    """
    spec = os.environ.get("SLURM_TASKS_PER_NODE")
    if not spec:
        raise SmartSimError("Could not parse tasks per node from SLURM_TASKS_PER_NODE")
    counts: list[int] = []
    for part in spec.split(","):
        tasks, _, repeat = part.partition("(")
        counts += [int(tasks)] * (int(repeat.strip("x)")) if repeat else 1)
    return dict(zip(get_hosts(), counts, strict=False))
