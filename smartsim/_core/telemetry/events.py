"""A job's status events, ``start.json`` and ``stop.json``, in SmartSim 0.8's format."""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass

from smartsim._core.telemetry.files import now_ms, write_json
from smartsim.status import SmartSimStatus


@dataclass(frozen=True)
class LaunchedJob:
    """What the status files and the manifest say of one launched job."""

    status_dir: str
    entity_type: str
    """``model`` or ``dbnode`` (SmartSim's step types)."""
    job_id: str
    managed: bool
    """False for a local process (SmartSim's unmanaged task), True for a scheduler's job."""
    out_file: str
    err_file: str

    @property
    def task_id(self) -> str | None:
        """The manifest's ``task_id``: a local process id (none for a scheduler's job)."""
        return None if self.managed else self.job_id

    @property
    def step_id(self) -> str | None:
        """The manifest's ``step_id``: a scheduler's job id (none for a local process)."""
        return self.job_id if self.managed else None


def _event(job: LaunchedJob, action: str, detail: str) -> dict[str, t.Any]:
    """The fields SmartSim writes in both files (``job_id`` a pid, or null when managed)."""
    return {
        "timestamp": now_ms(),
        "job_id": None if job.managed else _as_int(job.job_id),
        "step_id": job.step_id or "",
        "type": job.entity_type,
        "action": action,
        "detail": detail,
    }


def _as_int(job_id: str) -> int | str:
    try:
        return int(job_id)
    except ValueError:
        return job_id


def _write_once(job: LaunchedJob, name: str, data: dict[str, t.Any]) -> None:
    """Write an event file unless the run already has it (SmartSim never overwrites one)."""
    path = os.path.join(job.status_dir, name)
    if not os.path.exists(path):
        write_json(path, data)


def write_start(job: LaunchedJob) -> None:
    """``start.json``: the job was launched."""
    detail = "" if job.managed else f"Process {job.job_id} started"
    _write_once(job, "start.json", _event(job, "start", detail))


def write_stop(job: LaunchedJob, status: SmartSimStatus, returncode: int | None) -> None:
    """``stop.json``: the job ended with ``status``. Its ``return_code`` is a local process's
    own exit code when known, else SmartSim's mapping of the status (0 completed, else 1)."""
    if not job.managed and returncode is not None:
        code = returncode
        detail = f"Process {job.job_id} finished with return code: {returncode}"
    else:
        code = 0 if status is SmartSimStatus.STATUS_COMPLETED else 1
        detail = f"status: {status.value}"
    event = _event(job, "stop", detail)
    event["return_code"] = code
    _write_once(job, "stop.json", event)
