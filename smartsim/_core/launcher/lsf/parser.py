"""Pure parsers of IBM Spectrum LSF output, and the table of LSF job states.

bsub and bjobs: https://www.ibm.com/docs/en/spectrum-lsf/10.1.0?topic=reference-bjobs
(job states under "bjobs -l ... STAT"; ``-o`` custom output with a delimiter).
"""

from __future__ import annotations

import re

from smartsim._core.launcher.reconcile import JobInfo
from smartsim.log import get_logger
from smartsim.status import SmartSimStatus

logger = get_logger(__name__)

S = SmartSimStatus

STATE_MAP: dict[str, SmartSimStatus] = {
    "PEND": S.STATUS_QUEUED,
    "WAIT": S.STATUS_QUEUED,  # chunk job waiting
    "PROV": S.STATUS_QUEUED,  # provisioning
    "RUN": S.STATUS_RUNNING,
    "PSUSP": S.STATUS_PAUSED,
    "USUSP": S.STATUS_PAUSED,
    "SSUSP": S.STATUS_PAUSED,
    "DONE": S.STATUS_COMPLETED,
    "EXIT": S.STATUS_FAILED,
    "UNKWN": S.STATUS_RUNNING,  # the execution host lost contact; LSF will tell later
    "ZOMBI": S.STATUS_FAILED,  # killed while its host was unreachable
}
"""LSF STAT -> SmartSimStatus."""

BJOBS_FIELDS = "jobid stat exit_code exec_host job_name delimiter='|'"
"""The ``bjobs -o`` of the status query, in the order :func:`parse_bjobs` reads."""

_SUBMITTED = re.compile(r"Job <(\d+)> is submitted")


def map_state(state: str) -> SmartSimStatus:
    """The status of an LSF STAT; an unknown one warns and counts as Running."""
    status = STATE_MAP.get(state.strip())
    if status is None:
        logger.warning(f"Unknown LSF job state {state!r}; treating the job as running")
        return S.STATUS_RUNNING
    return status


def _hosts(field: str) -> tuple[str, ...]:
    """Hosts of an EXEC_HOST such as ``1*batch1:42*node01:42*node02``."""
    hosts: list[str] = []
    for part in field.split(":"):
        host = part.split("*", 1)[-1].strip()
        if host and host != "-" and host not in hosts:
            hosts.append(host)
    return tuple(hosts)


def parse_bjobs(output: str) -> dict[str, JobInfo]:
    """Jobs of ``bjobs -noheader -o "<BJOBS_FIELDS>" <ids>`` by id.

    EXIT_CODE is ``-`` for a job that has not exited with a code (DONE means 0). Lines
    such as ``Job <12> is not found`` are skipped.
    """
    jobs: dict[str, JobInfo] = {}
    for line in output.splitlines():
        fields = line.split("|")
        if len(fields) < 5 or not fields[0].strip().isdigit():
            continue
        job_id, stat, exit_code, exec_host, name = (f.strip() for f in fields[:5])
        status = map_state(stat)
        returncode: int | None = None
        if status == S.STATUS_COMPLETED:
            returncode = 0
        elif status == S.STATUS_FAILED:
            returncode = int(exit_code) if exit_code.lstrip("-").isdigit() else None
        jobs[job_id] = JobInfo(status, returncode, name, _hosts(exec_host))
    return jobs


def parse_bsub(output: str) -> str | None:
    """The job id in ``Job <1234> is submitted to queue <normal>.``."""
    match = _SUBMITTED.search(output)
    return match.group(1) if match else None
