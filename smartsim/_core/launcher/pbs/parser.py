"""Pure parsers of PBS Professional output, and the table of PBS job states.

``qstat -f -F json -x`` and the states it reports: PBS Professional Reference Guide, qstat
("Job states"), https://help.altair.com/2022.1.0/PBS%20Professional/PBSReferenceGuide2022.1.pdf
"""

from __future__ import annotations

import json

from smartsim._core.launcher.reconcile import JobInfo
from smartsim.log import get_logger
from smartsim.status import SmartSimStatus

logger = get_logger(__name__)

S = SmartSimStatus

STATE_MAP: dict[str, SmartSimStatus] = {
    "B": S.STATUS_RUNNING,  # array job: at least one subjob has started
    "E": S.STATUS_RUNNING,  # exiting after having run
    "F": S.STATUS_COMPLETED,  # finished; Exit_status decides (see parse_qstat_json)
    "H": S.STATUS_QUEUED,  # held
    "M": S.STATUS_QUEUED,  # moved to another server
    "Q": S.STATUS_QUEUED,
    "R": S.STATUS_RUNNING,
    "S": S.STATUS_PAUSED,  # suspended
    "T": S.STATUS_QUEUED,  # in transit
    "U": S.STATUS_PAUSED,  # suspended by the workstation becoming busy
    "W": S.STATUS_QUEUED,  # waiting for its execution time
    "X": S.STATUS_COMPLETED,  # finished subjob
}
"""PBS ``job_state`` letter -> SmartSimStatus."""

SIGNAL_BASE = 256
"""PBS reports a job killed by signal N (e.g. by qdel) as Exit_status 256 + N."""


def map_state(state: str) -> SmartSimStatus:
    """The status of a PBS state letter; an unknown one warns and counts as Running."""
    status = STATE_MAP.get(state.strip())
    if status is None:
        logger.warning(f"Unknown PBS job state {state!r}; treating the job as running")
        return S.STATUS_RUNNING
    return status


def _exec_hosts(exec_host: str) -> tuple[str, ...]:
    """Host names of ``exec_host`` such as ``node01/0*4+node02/0*4``."""
    hosts: list[str] = []
    for chunk in exec_host.split("+"):
        host = chunk.split("/", 1)[0].strip()
        if host and host not in hosts:
            hosts.append(host)
    return tuple(hosts)


def _finished(exit_status: object) -> tuple[SmartSimStatus, int | None]:
    try:
        code = int(str(exit_status))
    except ValueError:
        return S.STATUS_FAILED, None
    if code == 0:
        return S.STATUS_COMPLETED, 0
    if code > SIGNAL_BASE:
        return S.STATUS_CANCELLED, -(code - SIGNAL_BASE)
    return S.STATUS_FAILED, code


def parse_qstat_json(output: str) -> dict[str, JobInfo]:
    """Jobs of ``qstat -f -F json -x <ids>`` by id (``1234.server``); {} when unreadable.

    A finished job (F, X) is Completed with Exit_status 0, Cancelled when killed by a
    signal (Exit_status above 256), Failed otherwise (negative codes are PBS's own
    start-up failures).
    """
    start = output.find("{")
    if start < 0:
        return {}
    try:
        data = json.loads(output[start:], strict=False)
    except ValueError as exc:
        logger.warning(f"qstat printed JSON that cannot be read ({exc}); ignoring this answer")
        return {}
    jobs: dict[str, JobInfo] = {}
    for job_id, fields in (data.get("Jobs") or {}).items():
        status = map_state(str(fields.get("job_state", "")))
        returncode = None
        if status == S.STATUS_COMPLETED:
            status, returncode = _finished(fields.get("Exit_status", ""))
        hosts = _exec_hosts(str(fields.get("exec_host", "")))
        # a queued job's comment says why it waits ("Not Running: Insufficient amount of ...")
        reason = str(fields.get("comment", "")) if status == S.STATUS_QUEUED else ""
        name = str(fields.get("Job_Name", ""))
        jobs[job_id] = JobInfo(status, returncode, name, hosts, reason)
    return jobs


def parse_qsub(output: str) -> str | None:
    """The job id qsub printed (``1234.server``)."""
    for line in output.splitlines():
        line = line.strip()
        if line and " " not in line:
            return line
    return None
