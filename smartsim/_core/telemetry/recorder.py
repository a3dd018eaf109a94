"""TelemetryRecorder: one experiment's telemetry, driven by its controller's hooks.

The controller calls ``begin`` when a start is accepted, ``launched`` for each job it
launches, ``record_run`` once the start has launched everything, and
``database_stopped`` when it stops a database; its job manager calls ``job_ended`` when a
job's status becomes terminal. With the experiment's switch off (or no experiment
directory) every call does nothing. A failure to write a file is logged, never raised:
telemetry never fails a launch.
"""

from __future__ import annotations

import os
import threading
import time
import typing as t
import uuid
from dataclasses import dataclass, field

from smartsim._core.telemetry import manifest as manifest_file
from smartsim._core.telemetry.config import (
    TELEMETRY_SUBDIR,
    TelemetryConfiguration,
    telemetry_frequency,
)
from smartsim._core.telemetry.events import LaunchedJob, write_start, write_stop
from smartsim._core.telemetry.sampler import DatabaseSampler, ShardTarget
from smartsim.log import get_logger

if t.TYPE_CHECKING:
    from smartsim._core.control.job import JobRun
    from smartsim._core.control.manifest import Manifest
    from smartsim._core.launcher.step import Step
    from smartsim.database import Orchestrator

logger = get_logger(__name__)

_LAUNCHER_NAMES = {
    "local": "Local",
    "slurm": "Slurm",
    "pbs": "PBS",
    "pals": "PBS",
    "lsf": "LSF",
    "dragon": "Dragon",
}
"""How SmartSim's manifest names each launcher (its launcher class, less ``Launcher``)."""


@dataclass
class _Run:
    """One ``Experiment.start``: its id, time, entities' status directories and jobs."""

    run_id: str
    timestamp: int
    dirs: dict[str, str]
    jobs: dict[str, LaunchedJob] = field(default_factory=dict)


def status_dirs(manifest: Manifest, run_dir: str) -> dict[str, str]:
    """Each launched entity's status directory in a run, by name (SmartSim's layout)."""
    dirs = {model.name: os.path.join(run_dir, "model", model.name) for model in manifest.models}
    for ensemble in manifest.ensembles:
        for member in ensemble.models:
            dirs[member.name] = os.path.join(run_dir, "ensemble", ensemble.name, member.name)
    for db in manifest.dbs:
        for node in db.entities:
            dirs[node.name] = os.path.join(run_dir, "database", db.name, node.name)
    return dirs


class TelemetryRecorder:
    """Writes one experiment's telemetry files (see ``docs/telemetry.md``).

    :param exp_name: the experiment's name (runs are kept below it)
    :param exp_path: the experiment's directory; None records nothing
    :param launcher: the launcher's name
    :param switch: the experiment's telemetry switch, read at each start
    """

    def __init__(
        self,
        exp_name: str,
        exp_path: str | None,
        launcher: str,
        switch: TelemetryConfiguration,
    ) -> None:
        self._exp_name = exp_name
        self._exp_path = exp_path
        self._launcher = launcher
        self._switch = switch
        self._lock = threading.Lock()
        self._run: _Run | None = None
        self._by_job_id: dict[str, LaunchedJob] = {}
        self._samplers: dict[str, DatabaseSampler] = {}

    @classmethod
    def off(cls) -> TelemetryRecorder:
        """A recorder that records nothing (a controller made without an experiment)."""
        return cls("", None, "", TelemetryConfiguration(enabled=False))

    @property
    def enabled(self) -> bool:
        """Whether starts are recorded now."""
        return self._exp_path is not None and self._switch.is_enabled

    def begin(self, manifest: Manifest) -> None:
        """A start was accepted: a new run, with a directory for each entity it launches."""
        with self._lock:
            self._run = None
            if not self.enabled or self._exp_path is None:
                return
            run_id = uuid.uuid4().hex[:7]
            run_dir = os.path.join(self._exp_path, TELEMETRY_SUBDIR, self._exp_name, run_id)
            self._run = _Run(run_id, time.time_ns(), status_dirs(manifest, run_dir))

    def launched(self, step: Step, job_id: str, launcher: str) -> None:
        """A job was launched for ``step``: its ``start.json``."""
        with self._lock:
            status_dir = self._run.dirs.get(step.name) if self._run else None
            if self._run is None or status_dir is None:
                return
            job = LaunchedJob(
                status_dir,
                step.entity_type.lower(),
                job_id,
                managed=launcher != "local",
                out_file=step.out_file,
                err_file=step.err_file,
            )
            self._run.jobs[step.name] = job
            self._by_job_id[job_id] = job
        self._safely(write_start, job)

    def job_ended(self, run: JobRun) -> None:
        """A job's status became terminal: its ``stop.json``; its shards are sampled no more."""
        with self._lock:
            job = self._by_job_id.pop(run.job_id, None)
            samplers = list(self._samplers.values())
        for sampler in samplers:
            sampler.job_ended(run.job_id)
        if job is not None:
            self._safely(write_stop, job, run.status, run.returncode)

    def record_run(self, manifest: Manifest) -> None:
        """The start launched everything: add the run to ``manifest.json`` and start sampling
        the databases whose telemetry is on."""
        with self._lock:
            run, self._run = self._run, None
        if run is None or self._exp_path is None:
            return
        jobs = run.jobs
        entry = {
            "run_id": run.run_id,
            "timestamp": run.timestamp,
            "model": [
                manifest_file.model_entry(m, jobs[m.name])
                for m in manifest.models
                if m.name in jobs
            ],
            "orchestrator": [manifest_file.database_entry(db, jobs) for db in manifest.dbs],
            "ensemble": [manifest_file.ensemble_entry(e, jobs) for e in manifest.ensembles],
        }
        launcher = _LAUNCHER_NAMES.get(self._launcher, self._launcher)
        self._safely(manifest_file.add_run, self._exp_name, self._exp_path, launcher, entry)
        for db in manifest.dbs:
            if db.telemetry.is_enabled:
                self._sample(db, jobs)

    def _sample(self, db: Orchestrator, jobs: t.Mapping[str, LaunchedJob]) -> None:
        """Start the database's sampler over the shards this run launched."""
        shards = []
        for node in db.entities:
            job = jobs.get(node.name)
            if job is None:
                continue
            files = {
                key: os.path.join(job.status_dir, name)
                for key, name in manifest_file.METRIC_FILES.items()
            }
            shards += [ShardTarget(job.job_id, address, **files) for address in node.addresses]
        if not shards:
            return
        sampler = DatabaseSampler(db.name, shards, db._connection, telemetry_frequency())
        with self._lock:
            previous = self._samplers.pop(db.name, None)
            self._samplers[db.name] = sampler
        if previous is not None:
            previous.stop()
        sampler.start()

    def database_stopped(self, db: Orchestrator) -> None:
        """The database was stopped: end its sampler."""
        with self._lock:
            sampler = self._samplers.pop(db.name, None)
        if sampler is not None:
            sampler.stop()

    @property
    def samplers(self) -> list[DatabaseSampler]:
        """The databases' samplers still registered (for tests and diagnostics)."""
        with self._lock:
            return list(self._samplers.values())

    @staticmethod
    def _safely(write: t.Callable[..., object], *args: t.Any) -> None:
        """Run a file write; a failure is logged, not raised."""
        try:
            write(*args)
        except (OSError, TypeError, ValueError) as exc:
            logger.warning(f"Telemetry: could not write {write.__name__}: {exc}")
