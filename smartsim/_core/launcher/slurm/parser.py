"""Pure parsers of Slurm command output, and the table of Slurm job states.

Formats: sacct (https://slurm.schedmd.com/sacct.html), squeue
(https://slurm.schedmd.com/squeue.html), sbatch ``--parsable``, salloc, sinfo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from smartsim._core.launcher.reconcile import JobInfo
from smartsim._core.launcher.wlm import parse_exit_code
from smartsim.log import get_logger
from smartsim.status import SmartSimStatus

logger = get_logger(__name__)

S = SmartSimStatus

STATE_MAP: dict[str, SmartSimStatus] = {
    # https://slurm.schedmd.com/sacct.html#SECTION_JOB-STATE-CODES
    # https://slurm.schedmd.com/squeue.html#SECTION_JOB-STATE-CODES
    "PENDING": S.STATUS_QUEUED,
    "REQUEUED": S.STATUS_QUEUED,
    "REQUEUE_FED": S.STATUS_QUEUED,
    "REQUEUE_HOLD": S.STATUS_QUEUED,
    "RESV_DEL_HOLD": S.STATUS_QUEUED,
    "CONFIGURING": S.STATUS_QUEUED,
    "RUNNING": S.STATUS_RUNNING,
    "COMPLETING": S.STATUS_RUNNING,
    "RESIZING": S.STATUS_RUNNING,
    "SIGNALING": S.STATUS_RUNNING,
    "STAGE_OUT": S.STATUS_RUNNING,
    "STOPPED": S.STATUS_PAUSED,
    "SUSPENDED": S.STATUS_PAUSED,
    "COMPLETED": S.STATUS_COMPLETED,
    "CANCELLED": S.STATUS_CANCELLED,
    "REVOKED": S.STATUS_CANCELLED,
    "PREEMPTED": S.STATUS_CANCELLED,
    "DEADLINE": S.STATUS_FAILED,
    "FAILED": S.STATUS_FAILED,
    "BOOT_FAIL": S.STATUS_FAILED,
    "NODE_FAIL": S.STATUS_FAILED,
    "OUT_OF_MEMORY": S.STATUS_FAILED,
    "TIMEOUT": S.STATUS_FAILED,
    "SPECIAL_EXIT": S.STATUS_FAILED,
}
"""Slurm state (long name, as sacct and ``squeue -o %T`` print it) -> SmartSimStatus."""

SACCT_FIELDS = "JobID,JobName,State,ExitCode,NodeList"
"""The ``--format`` of the sacct status query, in the order :func:`parse_sacct` reads."""
SQUEUE_JOB_FORMAT = "%i|%j|%T|%N|%r"
"""``squeue -o`` of the job query (id, name, state, nodes, reason)."""
SQUEUE_STEP_FORMAT = "%i|%j|%N"
"""``squeue --steps -o`` of the step query (running steps only; no state column)."""


def map_state(state: str) -> SmartSimStatus:
    """The status of a Slurm state such as ``CANCELLED by 0`` or ``FAILED``.

    An unknown state logs a warning and counts as Running: the job is watched until a
    known state (or its disappearance) ends it.
    """
    word = state.strip().split(" ", 1)[0].rstrip("+")
    status = STATE_MAP.get(word)
    if status is None:
        logger.warning(f"Unknown Slurm job state {state!r}; treating the job as running")
        return S.STATUS_RUNNING
    return status


def expand_hostlist(hostlist: str) -> list[str]:
    """Expand a Slurm host list such as ``nid[001-003,007],login1`` into host names."""
    hosts: list[str] = []
    for match in re.finditer(r"([^,\[]+)(?:\[([^\]]*)\])?([^,]*)", hostlist):
        prefix, ranges, suffix = match.groups()
        if not prefix and not ranges:
            continue
        if ranges is None:
            hosts.append(prefix + suffix)
            continue
        for part in ranges.split(","):
            first, _, last = part.partition("-")
            if not last:
                hosts.append(f"{prefix}{first}{suffix}")
                continue
            width = len(first)
            for number in range(int(first), int(last) + 1):
                hosts.append(f"{prefix}{number:0{width}d}{suffix}")
    return hosts


def _nodes(field: str) -> tuple[str, ...]:
    field = field.strip()
    if not field or field in ("None assigned", "(null)") or field.startswith("("):
        return ()
    return tuple(expand_hostlist(field))


def parse_sacct(output: str) -> dict[str, JobInfo]:
    """Jobs and steps of ``sacct --noheader --parsable2 --format=<SACCT_FIELDS>``, by id.

    Ids are as sacct prints them: ``123``, ``123.0``, ``123.batch``, ``20_3``. Lines that
    do not have the five fields (a banner, a warning) are skipped.
    """
    jobs: dict[str, JobInfo] = {}
    node_failed: set[str] = set()
    for line in output.splitlines():
        fields = line.split("|")
        if len(fields) < 5 or not fields[0].strip():
            continue
        job_id, name, state, exit_code, nodes = (f.strip() for f in fields[:5])
        status = map_state(state)
        if "." in job_id and state.startswith("RESIZING"):
            # A step is never resized: it shows its job's RESIZING when the job lost the
            # step's node (a node failure in a --no-kill job), and nothing else will come.
            # Its srun exits 0 ("srun: error: Node failure on n2"): the step failed.
            status = S.STATUS_FAILED
        jobs[job_id] = JobInfo(status, parse_exit_code(exit_code), name, _nodes(nodes))
        if state.startswith("NODE_FAIL") and "." not in job_id:
            node_failed.add(job_id)
    # A job ended by a node failure kills its steps still running, on every node; Slurm
    # records them as they exited (COMPLETED 0:0 for a server that stops cleanly on
    # SIGTERM, CANCELLED...): they failed with their job.
    for job_id, info in jobs.items():
        if job_id.split(".", 1)[0] in node_failed and "." in job_id:
            jobs[job_id] = replace(info, status=S.STATUS_FAILED)
    return jobs


def parse_squeue_jobs(output: str) -> dict[str, JobInfo]:
    """Jobs of ``squeue --noheader --states=all -o '%i|%j|%T|%N|%r'``, by id."""
    jobs: dict[str, JobInfo] = {}
    for line in output.splitlines():
        fields = line.split("|")
        if len(fields) < 4 or not fields[0].strip():
            continue
        job_id, name, state, nodes = (f.strip() for f in fields[:4])
        reason = _reason(fields[4]) if len(fields) > 4 else ""
        jobs[job_id] = JobInfo(map_state(state), None, name, _nodes(nodes), reason)
    return jobs


def _reason(text: str) -> str:
    """A reason as squeue prints it; "None" (a job that waits for nothing) becomes ""."""
    reason = text.strip()
    return "" if reason == "None" else reason


def parse_squeue_steps(output: str) -> dict[str, JobInfo]:
    """Running steps of ``squeue --noheader --steps -o '%i|%j|%N'``, by step id."""
    steps: dict[str, JobInfo] = {}
    for line in output.splitlines():
        fields = line.split("|")
        if len(fields) < 3 or "." not in fields[0]:
            continue
        step_id, name, nodes = (f.strip() for f in fields[:3])
        steps[step_id] = JobInfo(S.STATUS_RUNNING, None, name, _nodes(nodes))
    return steps


def parse_sbatch(output: str) -> str | None:
    """The job id that ``sbatch --parsable`` printed (``123`` or ``123;cluster``)."""
    for line in output.splitlines():
        first = line.strip().split(";", 1)[0]
        if first.isdigit():
            return first
    return None


_GRANTED = re.compile(r"Granted job allocation (\d+)")
_SALLOC_ERROR = re.compile(r"^salloc: error: (.*)$", re.MULTILINE)


def parse_salloc(output: str) -> str | None:
    """The allocation id in salloc's stderr (site banners before it are ignored)."""
    match = _GRANTED.search(output)
    return match.group(1) if match else None


def parse_salloc_error(output: str) -> str | None:
    """salloc's error messages, joined, or None when it printed none."""
    errors = _SALLOC_ERROR.findall(output)
    return "; ".join(error.strip() for error in errors) if errors else None


@dataclass(frozen=True)
class PartitionNode:
    """A node of a partition as ``sinfo --format '%R %n %c'`` lists it."""

    partition: str
    node: str
    cpus: int


def parse_sinfo_nodes(output: str) -> list[PartitionNode]:
    """Rows of ``sinfo --noheader --format '%R %n %c'``."""
    rows = []
    for line in output.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2].isdigit():
            rows.append(PartitionNode(fields[0], fields[1], int(fields[2])))
    return rows


def parse_default_partition(output: str) -> str | None:
    """The partition marked with ``*`` in ``sinfo --noheader --format %P``."""
    for line in output.splitlines():
        line = line.strip()
        if line.endswith("*"):
            return line.rstrip("*")
    return None
