"""Controller: orders launches, gives entities their environment, watches and stops jobs."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import signal
import threading
import time
import typing as t

import psutil

from smartsim._core.control import checkpoint, dblaunch, dbobjects, jobrecord
from smartsim._core.control.dblaunch import settings_env
from smartsim._core.control.job import Job
from smartsim._core.control.jobmanager import JobManager
from smartsim._core.control.manifest import Manifest
from smartsim._core.entrypoints.server import PASSWORD_ENV
from smartsim._core.launcher import create_launcher, launcher_class
from smartsim._core.launcher.base import Launcher
from smartsim._core.launcher.step import BatchStep, Step
from smartsim._core.teardown import live_jobs
from smartsim._core.telemetry.recorder import TelemetryRecorder
from smartsim.database import Orchestrator
from smartsim.entity import EntitySequence, Model, SmartSimEntity
from smartsim.error import SmartSimError, SSDBIDConflictError, SSUnsupportedError
from smartsim.log import get_logger
from smartsim.status import SmartSimStatus

logger = get_logger(__name__)

DEFAULT_DB_ID = "orchestrator"


def db_env_suffix(db_identifier: str) -> str:
    """``""`` for the default database, ``_<id>`` for others (SSDB_<id>, SR_DB_TYPE_<id>)."""
    return "" if db_identifier in ("", DEFAULT_DB_ID) else f"_{db_identifier}"


def _in_use(running_dirs: dict[str, str], path: str) -> str | None:
    """What runs in ``path`` or below: a running job's directory, or a live database."""
    root = os.path.realpath(path)
    for where, what in running_dirs.items():
        if os.path.commonpath([root, os.path.realpath(where)]) == root:
            return what
    for parent, _, files in os.walk(root):
        if checkpoint.CHECKPOINT_NAME in files:
            live = checkpoint.live_database(os.path.join(parent, checkpoint.CHECKPOINT_NAME))
            if live:
                return f"database {live} is running"
    return None


def _db_id_conflict(db_identifier: str) -> SSDBIDConflictError:
    """SmartSim's error for a database identifier that a started database already holds."""
    return SSDBIDConflictError(
        f"Database identifier {db_identifier} has already been used. Pass in a unique name "
        "for db_identifier"
    )


def password_variable(db_identifier: str) -> str:
    """The variable that hands entities a database's password (``SR_DB_PASSWORD[_<id>]``)."""
    return f"{PASSWORD_ENV}{db_env_suffix(db_identifier)}"


def client_env(model: Model, dbs: t.Iterable[Orchestrator]) -> dict[str, str]:
    """What a model's SmartRedis client reads: database addresses, passwords (a new one for a
    colocated database that asks for it) and key prefixes."""
    env: dict[str, str] = {}
    for db in dbs:
        suffix = db_env_suffix(db.db_identifier)
        env[f"SSDB{suffix}"] = ",".join(db.shard_addresses[:128])
        env[f"SR_DB_TYPE{suffix}"] = "Clustered" if db.is_clustered else "Standalone"
        if db.password:
            env[password_variable(db.db_identifier)] = db.password
    colo = model.colocated_db_settings
    if colo:
        suffix = db_env_suffix(colo["db_identifier"])
        if colo.get("unix_socket"):
            env[f"SSDB{suffix}"] = f"unix://{colo['unix_socket']}"
        else:
            env[f"SSDB{suffix}"] = f"127.0.0.1:{colo['port']}"
        env[f"SR_DB_TYPE{suffix}"] = "Standalone"
        if colo.get("password"):
            env[password_variable(colo["db_identifier"])] = secrets.token_hex(32)
    if model.incoming_entities:
        env["SSKEYIN"] = ",".join(entity.name for entity in model.incoming_entities)
    if model.query_key_prefixing():
        env["SSKEYOUT"] = model.name
    return env


class Controller:
    """Everything an Experiment does with processes, for one launcher."""

    def __init__(
        self,
        launcher: str = "local",
        exp_path: str | None = None,
        telemetry: TelemetryRecorder | None = None,
    ) -> None:
        """
        :param launcher: the launcher's name
        :param exp_path: where the record of launched jobs is kept (for ``smart teardown``)
        :param telemetry: writes the experiment's telemetry files (default: none)
        """
        self._launcher_name = launcher
        self._exp_path = exp_path
        self._telemetry = telemetry or TelemetryRecorder.off()
        self._jobs = JobManager(on_end=self._telemetry.job_ended)
        self._launcher: Launcher | None = None
        self._active_dbs: dict[str, Orchestrator] = {}
        self._job_dirs: dict[str, str] = {}
        """Each launched job's working directory, by entity name."""
        self._interrupt_handlers = False
        self._dbs = dblaunch.DBLaunch(launcher, lambda: self.launcher, self._jobs)

    @property
    def launcher(self) -> Launcher:
        """The launcher, created on first use (so that settings work for any launcher)."""
        if self._launcher is None:
            self._launcher = create_launcher(
                self._launcher_name, self._jobs.on_exit, self._jobs.on_status
            )
        return self._launcher

    @property
    def active_dbs(self) -> list[Orchestrator]:
        """Databases launched (or reconnected) and not stopped."""
        return list(self._active_dbs.values())

    # -- checks -----------------------------------------------------------------------------

    def _check_launchable(self, manifest: Manifest) -> None:
        """Refuse the whole call before anything starts, naming the entity at fault."""
        name = self._launcher_name
        found = launcher_class(name)
        no_batch = found is not None and not found.runs_batch_jobs
        check_settings = found.check_settings if found is not None else lambda _: None
        for ensemble in manifest.ensembles:
            if ensemble.batch_settings is not None and no_batch:
                raise SSUnsupportedError(
                    f"Ensemble {ensemble.name} has batch settings, which the {name} launcher "
                    "cannot run; remove them or use a workload-manager launcher"
                )
            if ensemble.batch_settings is not None:
                check_settings(ensemble.batch_settings)
            if not ensemble.models:
                raise SmartSimError(f"Ensemble {ensemble.name} has no members to launch")
        db_ids = [db.db_identifier for db in manifest.dbs]
        for db in manifest.dbs:
            if db.batch_settings is not None and no_batch:
                raise SSUnsupportedError(
                    f"Database {db.db_identifier} is a batch job, which the {name} launcher "
                    "cannot run"
                )
            for settings in (db.run_settings, db.batch_settings):
                if settings is not None:
                    check_settings(settings)
            if db.db_identifier in self._active_dbs:  # (the Manifest refuses repeats)
                raise _db_id_conflict(db.db_identifier)
        standalone_ids = set(db_ids) | set(self._active_dbs)
        for model in manifest.launchable:
            if model.batch_settings is not None and no_batch:
                raise SSUnsupportedError(
                    f"Model {model.name} has batch settings, which the {name} launcher cannot "
                    "run; remove them or use a workload-manager launcher"
                )
            if model.run_settings is None:
                raise SmartSimError(f"Model {model.name} has no run settings")
            check_settings(model.run_settings)
            if model.batch_settings is not None:
                check_settings(model.batch_settings)
            colo_id = model.colocated_db_settings.get("db_identifier") if model.colocated else None
            if colo_id is not None and (colo_id or DEFAULT_DB_ID) in standalone_ids:
                raise _db_id_conflict(colo_id or DEFAULT_DB_ID)
            if not (model.colocated or standalone_ids) and dbobjects.attached_objects([model]):
                raise SmartSimError(
                    f"Model {model.name} has ML models or scripts to load into a database, but "
                    "no database is running or starting with it"
                )
        self._check_passwords(manifest)
        already = self._jobs.running(m.name for m in manifest.launchable)
        if already:
            raise SmartSimError(f"Already running, stop them before starting again: {already}")

    def _check_passwords(self, manifest: Manifest) -> None:
        """Refuse what would write a database password on a command line or into a batch
        script: it travels only in the environment of the steps the launcher starts."""
        dbs = [*manifest.dbs, *self._active_dbs.values()]
        protected = [db.db_identifier for db in dbs if db.password_required]
        colocated = [
            m.name
            for m in manifest.launchable
            if m.colocated and m.colocated_db_settings.get("password")
        ]
        if not (protected or colocated):
            return
        what = f"database {protected[0]}" if protected else f"the database of {colocated[0]}"
        found = launcher_class(self._launcher_name)
        if found is not None and not found.private_environment:
            raise SSUnsupportedError(
                f"The {self._launcher_name} launcher puts environment variables on command "
                f"lines, where the password of {what} would show; use another launcher or "
                "password=False"
            )
        batched = [
            db.db_identifier
            for db in manifest.dbs
            if db.password_required and db.batch_settings is not None
        ]
        if protected:
            batched += [e.name for e in manifest.ensembles if e.batch_settings is not None]
            batched += [m.name for m in manifest.launchable if m.batch_settings is not None]
        if batched:
            raise SSUnsupportedError(
                f"{batched[0]} runs as a batch job, whose script would hold the password of "
                f"{what}; launch it without batch settings or use password=False"
            )

    # -- steps ------------------------------------------------------------------------------

    def _model_step(self, model: Model, dbs: list[Orchestrator]) -> Step:
        assert model.run_settings is not None
        os.makedirs(model.path, exist_ok=True)
        if model.colocated:
            dblaunch.write_colocated_spec(model)
        env = settings_env(model.run_settings.env_vars)
        env.update(client_env(model, dbs))
        argv = self._model_step_argv(model)
        return Step(model.name, model.type, argv, model.path, env)

    def launch_commands(self, manifest: Manifest) -> dict[str, list[str]]:
        """Each model's launch command, for previews; none when the launcher would need its
        scheduler or runtime to build them."""
        found = launcher_class(self._launcher_name)
        if found is None or not found.previews_commands:
            return {}
        return {
            model.name: self._model_step_argv(model)
            for model in manifest.launchable
            if model.run_settings is not None
        }

    def _model_step_argv(self, model: Model) -> list[str]:
        assert model.run_settings is not None
        wrapper = None
        if model.colocated:
            colo = model.colocated_db_settings
            variable = password_variable(colo["db_identifier"]) if colo.get("password") else None
            wrapper = dblaunch.colocated_wrapper(model, variable)
        return self.launcher.argv(model.run_settings, model.path, wrapper)

    # -- start ------------------------------------------------------------------------------

    def start(self, manifest: Manifest, block: bool = True, kill_on_interrupt: bool = True) -> None:
        """Launch databases, then ensembles and models; with ``block`` wait for non-DB jobs."""
        self._check_launchable(manifest)
        if kill_on_interrupt:
            self._install_interrupt_handlers()
        self._telemetry.begin(manifest)
        launched: list[str] = []
        try:
            for db in manifest.dbs:
                self._dbs.start(db, functools.partial(self._submit, is_db=True, launched=launched))
                self._active_dbs[db.db_identifier] = db
            dbs = self.active_dbs
            self._store_db_objects(manifest, dbs)
            self._submit(self._entity_steps(manifest, dbs), is_db=False, launched=launched)
        except BaseException as exc:
            if launched and (kill_on_interrupt or not isinstance(exc, KeyboardInterrupt)):
                logger.warning(f"Launch failed; stopping the {len(launched)} job(s) it started")
                self.stop_names(launched)
                for db in manifest.dbs:
                    self._forget_db(db)
            raise
        self._telemetry.record_run(manifest)
        if block:
            self.poll(interval=5, verbose=True, kill_on_interrupt=kill_on_interrupt)

    @staticmethod
    def _store_db_objects(manifest: Manifest, dbs: list[Orchestrator]) -> None:
        """Store the ML models and scripts of non-colocated entities in every database."""
        objects = dbobjects.attached_objects(m for m in manifest.launchable if not m.colocated)
        for db in dbs if objects else []:
            dbobjects.store_all(objects, db.get_address(), db.is_clustered, db.password or "")

    def _entity_steps(self, manifest: Manifest, dbs: list[Orchestrator]) -> list[Step | BatchStep]:
        """One step per model, and one batch step per ensemble or model with batch settings."""
        units: list[Step | BatchStep] = []
        batched: set[str] = set()
        for ensemble in manifest.ensembles:
            if ensemble.batch_settings is not None:
                members = [self._model_step(model, dbs) for model in ensemble.models]
                units.append(
                    BatchStep(ensemble.name, ensemble.path, ensemble.batch_settings, members)
                )
                batched.update(model.name for model in ensemble.models)
        for model in manifest.launchable:
            if model.name in batched:
                continue
            step = self._model_step(model, dbs)
            if model.batch_settings is not None:
                units.append(BatchStep(model.name, model.path, model.batch_settings, [step]))
            else:
                units.append(step)
        return units

    def _submit(self, units: list[Step | BatchStep], is_db: bool, launched: list[str]) -> list[str]:
        """Launch steps (together, in order) and batch steps; record every job; their ids."""
        launcher = self.launcher
        job_ids = []
        entries = []
        host = jobrecord.this_host()
        plain = [unit for unit in units if isinstance(unit, Step)]
        batches = [unit for unit in units if isinstance(unit, BatchStep)]
        try:
            groups: list[tuple[list[Step], t.Callable[[], list[str]]]] = (
                [(plain, lambda: launcher.submit_many(plain))] if plain else []
            )
            groups += [(b.steps, functools.partial(launcher.submit_batch, b)) for b in batches]
            for steps, submit in groups:
                launch_time = time.monotonic()
                launched_at = jobrecord.now()
                ids = submit()
                for step, job_id in zip(steps, ids, strict=True):
                    self._job_dirs[step.name] = step.cwd
                    self._telemetry.launched(step, job_id, launcher.name)
                    self._jobs.add_run(
                        step.name, step.entity_type, is_db, job_id, launcher.name, launch_time
                    )
                    launched.append(step.name)
                    job_ids.append(job_id)
                    entry = jobrecord.JobEntry(
                        step.name, step.entity_type, launcher.name, job_id, host, launched_at
                    )
                    entries.append(
                        jobrecord.with_identity(entry, launcher.process_identity(job_id))
                    )
                    if logger.isEnabledFor(logging.DEBUG):
                        logger.debug(f"Launched {step.name} ({job_id}): {' '.join(step.argv)}")
        finally:
            if self._exp_path is not None:
                jobrecord.append(self._exp_path, entries)
        return job_ids

    def _forget_db(self, db: Orchestrator) -> None:
        self._telemetry.database_stopped(db)
        if self._active_dbs.get(db.db_identifier) is db:
            del self._active_dbs[db.db_identifier]
        checkpoint.remove(db)

    def reconnect(self, checkpoint_file: str) -> Orchestrator:
        """Take over a database a previous driver left running.

        :raises SmartSimError: the file is unreadable, or the database does not answer
        """
        db = self._dbs.reconnect(checkpoint_file, self._active_dbs)
        self._active_dbs[db.db_identifier] = db
        self._job_dirs.update((shard.name, db.path) for shard in db.entities)
        return db

    def in_use_checker(self) -> t.Callable[[str], str | None]:
        """``in_use(path)``: what runs in ``path`` or below it, or None.

        Running jobs are this controller's (any launcher), the processes that an earlier
        driver of the experiment left running on this host (their working directories), and
        any database whose checkpoint lies below ``path`` and that still answers. What runs
        is read once, when the checker is made.
        """
        running = set(self._jobs.running())
        dirs = {
            path: f"{name} is running" for name, path in self._job_dirs.items() if name in running
        }
        if self._exp_path is not None:
            for entry in live_jobs(self._exp_path):
                try:
                    cwd = psutil.Process(int(entry.job_id)).cwd()
                except (psutil.Error, ValueError):
                    continue
                dirs.setdefault(cwd, f"{entry.name} (pid {entry.job_id}) is running")
        return functools.partial(_in_use, dirs)

    def _install_interrupt_handlers(self) -> None:
        """On SIGINT/SIGTERM stop every job this controller started, then act as before."""
        if self._interrupt_handlers or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            signal.signal(sig, functools.partial(self._on_interrupt, previous=previous))
        self._interrupt_handlers = True

    def _on_interrupt(self, signum: int, frame: object, previous: t.Any = None) -> None:
        running = self._jobs.running()
        if running:
            logger.warning(
                f"Received {signal.Signals(signum).name}: stopping the {len(running)} running "
                "job(s) this experiment started"
            )
            self.stop_all()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_IGN:
            return
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            raise SystemExit(128 + signum)

    # -- watch ------------------------------------------------------------------------------

    def poll(self, interval: float, verbose: bool, kill_on_interrupt: bool) -> None:
        """Wait until every non-DB job ends, logging their statuses every ``interval`` s."""
        try:
            while not self._jobs.wait(None, timeout=interval):
                if verbose:
                    for job in self._jobs.jobs():
                        if not job.is_db:
                            logger.info(self._describe(job, self.launcher.pending_reason))
        except KeyboardInterrupt:
            running = self._jobs.running()
            if kill_on_interrupt and running:
                logger.warning(f"Interrupted: stopping {len(running)} running job(s)")
                self.stop_all()
            elif running:
                logger.warning(f"Interrupted; these jobs keep running: {running}")
            raise

    @staticmethod
    def _describe(job: Job, pending_reason: t.Callable[[str], str]) -> str:
        run = job.current
        text = f"{job.name}({run.job_id}): {run.status.value}"
        reason = pending_reason(run.job_id) if run.status == SmartSimStatus.STATUS_QUEUED else ""
        if reason:
            text += f" ({reason})"
        if run.returncode is not None:
            text += f", returncode: {run.returncode}"
        return text

    def status_of_name(self, name: str) -> SmartSimStatus:
        """The latest status of the job called ``name``; NeverStarted when never launched."""
        job = self._jobs.get(name)
        return job.current.status if job else SmartSimStatus.STATUS_NEVER_STARTED

    def status_of(self, entity: SmartSimEntity) -> SmartSimStatus:
        """The entity's latest status; NeverStarted when it was never launched."""
        return self.status_of_name(entity.name)

    def finished(self, entity: SmartSimEntity | EntitySequence[t.Any]) -> bool:
        """Whether every job of the entity has ended.

        :raises ValueError: the entity was never launched by this experiment
        :raises TypeError: the entity is a database (use get_status)
        """
        if isinstance(entity, Orchestrator):
            raise TypeError("finished() does not support Orchestrator instances; use get_status")
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
        for db in manifest.dbs:
            self._forget_db(db)

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
        for db in self.active_dbs:
            self._forget_db(db)
