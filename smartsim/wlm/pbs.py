"""PBS helpers for driver scripts running inside a PBS allocation.

Names, sources and errors as SmartSim 0.8's ``smartsim.wlm.pbs``: hosts from the file
``PBS_NODEFILE`` names, the queue from ``PBS_QUEUE``, tasks from ``qstat -f -F json`` of the
job ``PBS_JOBID``.
"""

from __future__ import annotations

import json
import os
import shutil
import typing as t

from smartsim._core.utils.shell import run_command
from smartsim.error import LauncherError, SmartSimError

__all__ = ["get_hosts", "get_queue", "get_tasks", "get_tasks_per_node"]


def get_hosts() -> list[str]:
    """The short names of the allocation's hosts (each once, sorted), from ``PBS_NODEFILE``.

    :raises SmartSimError: ``PBS_NODEFILE`` is not set
    """
    node_file = os.environ.get("PBS_NODEFILE")
    if node_file is None:
        raise SmartSimError("Could not parse interactive allocation nodes from PBS_NODEFILE")
    with open(node_file, encoding="utf-8") as lines:
        # one line per slot ("node01.cluster" repeated ncpus times): short names, once each
        hosts = {line.split(".")[0].strip() for line in lines}
    return sorted(hosts - {""})


def get_queue() -> str:
    """The allocation's queue, from ``PBS_QUEUE``.

    :raises SmartSimError: ``PBS_QUEUE`` is not set
    """
    if "PBS_QUEUE" in os.environ:
        return os.environ["PBS_QUEUE"]
    raise SmartSimError("Could not parse queue from PBS_QUEUE")


def get_tasks() -> int:
    """The number of CPUs the allocation's job uses (qstat's ``resources_used.ncpus``).

    :raises SmartSimError: ``PBS_JOBID`` is not set (no allocation)
    :raises LauncherError: ``qstat`` is not on PATH or failed
    """
    job = _job_info("Could not parse number of requested tasks without an allocation")
    try:
        return int(job["resources_used"]["ncpus"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LauncherError(f"qstat reported no resources_used.ncpus for the job ({exc})") from None


def get_tasks_per_node() -> dict[str, int]:
    """The CPUs of each host (vnode) of the allocation, from qstat's ``exec_vnode``.

    A host in several chunks (``(n1:ncpus=2)+(n1:ncpus=2)``) counts the CPUs of all of them.

    :raises SmartSimError: ``PBS_JOBID`` is not set (no allocation)
    :raises LauncherError: ``qstat`` is not on PATH or failed
    """
    job = _job_info("Could not parse tasks per node without an allocation")
    exec_vnode = job.get("exec_vnode")
    if not isinstance(exec_vnode, str):
        raise LauncherError("qstat reported no exec_vnode for the job (is it running?)")
    return parse_exec_vnode(exec_vnode)


def parse_exec_vnode(exec_vnode: str) -> dict[str, int]:
    """``{vnode: ncpus}`` of an ``exec_vnode`` value, e.g. ``(n1:ncpus=4:mem=1gb)+(n2:ncpus=4)``."""
    cpus: dict[str, int] = {}
    for piece in exec_vnode.split("+"):
        vnode, *resources = piece.strip().strip("()").split(":")
        for resource in resources:
            key, _, value = resource.partition("=")
            if key == "ncpus":
                cpus[vnode] = cpus.get(vnode, 0) + int(value)
    return cpus


def _job_info(no_allocation: str) -> dict[str, t.Any]:
    """``qstat -f -F json`` of the job ``PBS_JOBID``: that job's attributes.

    :raises SmartSimError: ``no_allocation``, when ``PBS_JOBID`` is not set
    :raises LauncherError: ``qstat`` is not on PATH, failed, or did not report the job
    """
    job_id = os.environ.get("PBS_JOBID")
    if not job_id:
        raise SmartSimError(no_allocation)
    if not shutil.which("qstat"):
        raise LauncherError("Attempted PBS function without access to PBS(qstat) at the call site")
    rc, out, err = run_command(["qstat", "-f", "-F", "json", job_id], timeout=60.0)
    if rc != 0:
        raise LauncherError(f"qstat -f -F json {job_id} failed (exit {rc}): {err.strip()}")
    try:
        jobs = json.loads(out)["Jobs"]
    except (ValueError, KeyError, TypeError) as exc:
        raise LauncherError(f"Could not read the output of qstat -f -F json: {exc}") from None
    if job_id in jobs:
        return t.cast(dict[str, t.Any], jobs[job_id])
    if len(jobs) == 1:  # PBS_JOBID may carry a longer server name than qstat's key
        return t.cast(dict[str, t.Any], next(iter(jobs.values())))
    raise LauncherError(f"qstat did not report the job {job_id}")
