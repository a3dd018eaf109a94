"""Controller: orders launches, gives entities their environment, watches and stops jobs."""

from __future__ import annotations

import logging
import os
import time
import typing as t

from smartsim._core.control.job import Job
from smartsim._core.control.jobmanager import JobManager
from smartsim._core.control.manifest import Manifest
from smartsim._core.launcher import create_launcher
from smartsim._core.launcher.base import Launcher
from smartsim._core.launcher.step import Step
from smartsim.entity import EntitySequence, Model, SmartSimEntity
from smartsim.error import SmartSimError, SSUnsupportedError
from smartsim.log import get_logger
from smartsim.status import SmartSimStatus

logger = get_logger(__name__)


def client_env(model: Model) -> dict[str, str]:
    """The variables that tell a model's SmartRedis client how to prefix its keys."""
    env: dict[str, str] = {}
    if model.incoming_entities:
        env["SSKEYIN"] = ",".join(entity.name for entity in model.incoming_entities)
    if model.query_key_prefixing():
        env["SSKEYOUT"] = model.name
    return env


def settings_env(env_vars: dict[str, str | None]) -> dict[str, str]:
    """The run settings' variables; a None value passes the driver's own value through."""
    return {
        name: (os.environ.get(name, "") if value is None else str(value))
        for name, value in env_vars.items()
    }


class Controller:
    """Everything an Experiment does with processes, for one launcher."""

    def __init__(self, launcher: str = "local") -> None:
        self._launcher_name = launcher
        self._jobs = JobManager()
        self._launcher: Launcher | None = None

    @property
    def launcher(self) -> Launcher:
        """The launcher, created on first use (so that settings work for any launcher)."""
        if self._launcher is None:
            self._launcher = create_launcher(self._launcher_name, self._jobs.on_exit)
        return self._launcher

    # -- start ------------------------------------------------------------------------------

    def _check_launchable(self, manifest: Manifest) -> None:
        """Refuse the whole call before anything starts, naming the entity at fault."""
        for ensemble in manifest.ensembles:
            if ensemble.batch_settings is not None and self._launcher_name == "local":
                raise SSUnsupportedError(
                    f"Ensemble {ensemble.name} has batch settings, which the local launcher "
                    "cannot run; remove them or use a workload-manager launcher"
                )
            if not ensemble.models:
                raise SmartSimError(f"Ensemble {ensemble.name} has no members to launch")
        if manifest.dbs:
            raise SSUnsupportedError(
                "Orchestrators cannot be launched in this version yet (the database arrives with "
                "the Orchestrator issue)"
            )
        for model in manifest.launchable:
            if model.batch_settings is not None and self._launcher_name == "local":
                raise SSUnsupportedError(
                    f"Model {model.name} has batch settings, which the local launcher cannot run; "
                    "remove them or use a workload-manager launcher"
                )
            if model.run_settings is None:
                raise SmartSimError(f"Model {model.name} has no run settings")
            if model.colocated or list(model.db_models) or list(model.db_scripts):
                raise SSUnsupportedError(
                    f"Model {model.name} needs a database (colocated, ML models or scripts), "
                    "which this version cannot launch yet"
                )
        already = self._jobs.running(m.name for m in manifest.launchable)
        if already:
            raise SmartSimError(f"Already running, stop them before starting again: {already}")

    def _model_step(self, model: Model) -> Step:
        assert model.run_settings is not None
        os.makedirs(model.path, exist_ok=True)
        env = settings_env(model.run_settings.env_vars)
        env.update(client_env(model))
        argv = self.launcher.argv(model.run_settings, model.path)
        return Step(model.name, model.type, argv, model.path, env)

    def start(self, manifest: Manifest, block: bool = True, kill_on_interrupt: bool = True) -> None:
        """Launch every entity of ``manifest``; with ``block``, wait for all non-DB jobs."""
        self._check_launchable(manifest)
        steps = [self._model_step(model) for model in manifest.launchable]
        launcher = self.launcher
        launched: list[str] = []
        debug = logger.isEnabledFor(logging.DEBUG)
        try:
            for step in steps:
                launch_time = time.monotonic()
                job_id = launcher.submit(step)
                self._jobs.add_run(
                    step.name, step.entity_type, False, job_id, launcher.name, launch_time
                )
                launched.append(step.name)
                if debug:
                    logger.debug(f"Launched {step.name} ({job_id}): {' '.join(step.argv)}")
        except BaseException as exc:
            if launched and (kill_on_interrupt or not isinstance(exc, KeyboardInterrupt)):
                logger.warning(f"Launch interrupted; stopping the {len(launched)} job(s) started")
                self.stop_names(launched)
            raise
        if block:
            self.poll(interval=5, verbose=True, kill_on_interrupt=kill_on_interrupt)

    # -- watch ------------------------------------------------------------------------------

    def poll(self, interval: float, verbose: bool, kill_on_interrupt: bool) -> None:
        """Wait until every non-DB job ends, logging their statuses every ``interval`` s."""
        try:
            while not self._jobs.wait(None, timeout=interval):
                if verbose:
                    for job in self._jobs.jobs():
                        if not job.is_db:
                            logger.info(self._describe(job))
        except KeyboardInterrupt:
            running = self._jobs.running()
            if kill_on_interrupt and running:
                logger.warning(f"Interrupted: stopping {len(running)} running job(s)")
                self.stop_names(running)
            elif running:
                logger.warning(f"Interrupted; these jobs keep running: {running}")
            raise

    @staticmethod
    def _describe(job: Job) -> str:
        run = job.current
        text = f"{job.name}({run.job_id}): {run.status.value}"
        if run.returncode is not None:
            text += f", returncode: {run.returncode}"
        return text

    def status_of(self, entity: SmartSimEntity) -> SmartSimStatus:
        """The entity's latest status; NeverStarted when it was never launched."""
        job = self._jobs.get(entity.name)
        return job.current.status if job else SmartSimStatus.STATUS_NEVER_STARTED

    def finished(self, entity: SmartSimEntity | EntitySequence[t.Any]) -> bool:
        """Whether every job of the entity has ended.

        :raises ValueError: the entity was never launched by this experiment
        """
        if isinstance(entity, EntitySequence):
            return all(self.finished(member) for member in entity.entities)
        job = self._jobs.get(entity.name)
        if job is None:
            raise ValueError(f"Entity {entity.name} has not been launched in this experiment")
        return job.current.finished

    def running_jobs(self) -> list[Job]:
        """Jobs whose latest run has not ended."""
        running = set(self._jobs.running())
        return [job for job in self._jobs.jobs() if job.name in running]

    def jobs(self) -> list[Job]:
        """All jobs, entities first then databases."""
        return self._jobs.jobs()

    # -- stop -------------------------------------------------------------------------------

    def stop(self, manifest: Manifest) -> None:
        """Stop every job of the manifest's entities and wait until they are gone."""
        names = [model.name for model in manifest.launchable]
        for db in manifest.dbs:
            names.extend(shard.name for shard in db.entities)
        self.stop_names(names)

    def stop_names(self, names: t.Iterable[str]) -> None:
        """Stop the running jobs of the entities called ``names`` (others are left alone)."""
        by_launcher = self._jobs.mark_stopping(names)
        for launcher_name, job_ids in by_launcher.items():
            if launcher_name != self.launcher.name:
                raise SmartSimError(f"Jobs of launcher {launcher_name} cannot be stopped here")
            self._jobs.cancel(self.launcher.stop(job_ids))

    def stop_all(self) -> None:
        """Stop every job still running, databases included."""
        self.stop_names(self._jobs.running())
