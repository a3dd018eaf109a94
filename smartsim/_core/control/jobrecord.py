"""The experiment's record of every process it launched, for ``smart teardown``.

One JSON object per line in ``<exp_path>/.smartsim/jobs.jsonl``, appended once per launch
call: name, kind, launcher, job id, host and launch time; for a process on this host also
its start time, command line and job marker (to tell a reused pid apart).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass, replace

from smartsim._core.utils.process import ProcessIdentity

RECORD_DIR = ".smartsim"
RECORD_FILE = "jobs.jsonl"


@dataclass(frozen=True)
class JobEntry:
    """One launched job."""

    name: str
    kind: str
    launcher: str
    job_id: str
    host: str
    launched_at: float
    """time.time() just before the launch."""
    started_at: float | None = None
    """A local process's start time (psutil's create_time); None for scheduler jobs."""
    cmdline: list[str] | None = None
    """A local process's command line as the system showed it at launch."""
    marker: str | None = None
    """A local process's job marker (``SMARTSIM_JOB`` in the environment of all it starts)."""

    def identity(self) -> ProcessIdentity | None:
        """How to recognise the recorded process (None: not a local process, or recorded
        by a version that did not keep its start time)."""
        if self.started_at is None or self.cmdline is None or self.marker is None:
            return None
        return ProcessIdentity(self.started_at, list(self.cmdline), self.marker)


def with_identity(entry: JobEntry, identity: ProcessIdentity | None) -> JobEntry:
    """``entry`` with the identity of its process on this host, when it has one."""
    if identity is None:
        return entry
    return replace(
        entry,
        started_at=identity.started_at,
        cmdline=list(identity.cmdline),
        marker=identity.marker,
    )


def record_path(exp_path: str) -> str:
    """Where an experiment's job record lives."""
    return os.path.join(exp_path, RECORD_DIR, RECORD_FILE)


def append(exp_path: str, entries: list[JobEntry]) -> None:
    """Add launched jobs to the experiment's record."""
    if not entries:
        return
    path = record_path(exp_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:
        out.writelines(json.dumps(asdict(entry)) + "\n" for entry in entries)


def read(exp_path: str) -> list[JobEntry]:
    """Every job recorded for the experiment (lines that cannot be read are skipped)."""
    try:
        with open(record_path(exp_path), encoding="utf-8") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(JobEntry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return entries


def this_host() -> str:
    """The name jobs launched here are recorded under."""
    return socket.gethostname()


def now() -> float:
    """Wall-clock time for ``launched_at``."""
    return time.time()
