"""Experiment: the driver script's entry point. Validates input and delegates; no process logic."""

from __future__ import annotations

import atexit
import contextlib
import os
import os.path as osp
import typing as t
import weakref

from tabulate import tabulate

from smartsim._core.config import get_config
from smartsim._core.control import previewrenderer
from smartsim._core.control.controller import Controller
from smartsim._core.control.manifest import Manifest
from smartsim._core.generation.generator import Generator
from smartsim._core.launcher import KNOWN_LAUNCHERS
from smartsim._core.telemetry import ExperimentTelemetryConfiguration, TelemetryConfiguration
from smartsim._core.telemetry.recorder import TelemetryRecorder
from smartsim.database import Orchestrator
from smartsim.entity import Ensemble, EntitySequence, Model, SmartSimEntity
from smartsim.error import SmartSimError, SSUnsupportedError
from smartsim.log import get_logger
from smartsim.settings import settings as settings_factory
from smartsim.settings.base import BatchSettings, RunSettings
from smartsim.settings.containers import Container
from smartsim.status import SmartSimStatus
from smartsim.wlm import detect_launcher

logger = get_logger(__name__)

Launchable = SmartSimEntity | EntitySequence[t.Any]


@contextlib.contextmanager
def _logged_errors() -> t.Iterator[None]:
    """Log a SmartSimError before it reaches the user, as SmartSim's Experiment does."""
    try:
        yield
    except SmartSimError as exc:
        logger.error(exc)
        raise


def _report_running_at_exit(ref: weakref.ReferenceType[Experiment]) -> None:
    """At interpreter exit, say what still runs, why, and how to stop it."""
    exp = ref()
    if exp is None:
        return
    for db in exp._control.active_dbs:
        logger.warning(
            f"Database {db.db_identifier} of experiment {exp.name} is still running at "
            f"{', '.join(shard.address for shard in db.entities)}; it was left running on "
            f"purpose. Reconnect with exp.reconnect_orchestrator({db.checkpoint_file!r}) or "
            f"stop it with: smart teardown {exp.exp_path}"
        )
    db_shards = {shard.name for db in exp._control.active_dbs for shard in db.entities}
    for job in exp._control.running_jobs():
        if job.name in db_shards:
            continue
        logger.warning(
            f"Experiment {exp.name}: {job.name} ({job.entity_type}, job {job.current.job_id}) is "
            f"still running after the driver exits; stop it with: smart teardown {exp.exp_path}"
        )


class Experiment:
    """Creates, generates, launches, watches and stops a workflow's entities.

    :param name: name of the experiment; its default directory is ``./<name>``
    :param exp_path: an existing directory to hold the experiment instead
    :param launcher: local, slurm, pbs, pals, lsf, dragon, or auto (detects the WLM)
    """

    def __init__(self, name: str, exp_path: str | None = None, launcher: str = "local") -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"Experiment name must be a non-empty str, got {name!r}")
        self.name = name
        if exp_path:
            if not isinstance(exp_path, str):
                raise TypeError("exp_path argument was not of type str")
            if not osp.isdir(osp.abspath(exp_path)):
                raise NotADirectoryError(
                    f"Experiment path {exp_path!r} does not exist; create it or leave exp_path "
                    "unset to use ./<name>"
                )
            exp_path = osp.abspath(exp_path)
        else:
            exp_path = osp.join(os.getcwd(), name)
        self.exp_path = exp_path

        launcher = launcher.lower() if isinstance(launcher, str) else launcher
        if launcher == "auto":
            launcher = get_config().auto_launcher or detect_launcher()
        if launcher == "cobalt":
            raise SSUnsupportedError("Cobalt launcher is no longer supported.")
        if launcher not in KNOWN_LAUNCHERS:
            raise SSUnsupportedError(
                f"Launcher {launcher!r} is not supported; use one of {list(KNOWN_LAUNCHERS)} "
                "or 'auto'"
            )
        self._launcher = launcher
        self._telemetry = ExperimentTelemetryConfiguration()
        telemetry = TelemetryRecorder(name, exp_path, launcher, self._telemetry)
        self._control = Controller(launcher=launcher, exp_path=exp_path, telemetry=telemetry)
        self.db_identifiers: set[str] = set()
        atexit.register(_report_running_at_exit, weakref.ref(self))

    @property
    def telemetry(self) -> TelemetryConfiguration:
        """The telemetry switch: on unless ``SMARTSIM_FLAG_TELEMETRY=0``; while on, each start
        writes the files of ``docs/telemetry.md`` under ``.smartsim/telemetry``."""
        return self._telemetry

    @property
    def launcher(self) -> str:
        """The launcher's name (after auto-detection)."""
        return self._launcher

    # -- factories --------------------------------------------------------------------------

    def create_run_settings(
        self,
        exe: str,
        exe_args: list[str] | None = None,
        run_command: str = "auto",
        run_args: dict[str, int | str | float | None] | None = None,
        env_vars: dict[str, str | None] | None = None,
        container: Container | None = None,
        **kwargs: t.Any,
    ) -> RunSettings:
        """Run settings for this experiment's launcher (the class follows the run command)."""
        with _logged_errors():
            return settings_factory.create_run_settings(
                self._launcher,
                exe,
                exe_args=exe_args,
                run_command=run_command,
                run_args=run_args,
                env_vars=env_vars,
                container=container,
                **kwargs,
            )

    def create_batch_settings(
        self,
        nodes: int = 1,
        time: str = "",
        queue: str = "",
        account: str = "",
        batch_args: dict[str, str | None] | None = None,
        **kwargs: t.Any,
    ) -> BatchSettings:
        """Batch settings for this experiment's workload manager (none for local)."""
        with _logged_errors():
            return settings_factory.create_batch_settings(
                self._launcher,
                nodes=nodes,
                time=time,
                queue=queue,
                account=account,
                batch_args=batch_args,
                **kwargs,
            )

    def _entity_path(self, name: str, path: str | None) -> str:
        if not isinstance(name, str) or not name:
            raise AttributeError("Entity has no name. Please set name attribute.")
        return osp.abspath(path or osp.join(self.exp_path, name))

    def create_model(
        self,
        name: str,
        run_settings: RunSettings,
        params: dict[str, t.Any] | None = None,
        path: str | None = None,
        enable_key_prefixing: bool = False,
        batch_settings: BatchSettings | None = None,
    ) -> Model:
        """A Model in ``<exp_path>/<name>`` (or ``path``, relative to the current directory)."""
        if not isinstance(run_settings, RunSettings):
            raise TypeError(
                f"run_settings of model {name!r} must be RunSettings, got {run_settings!r}"
            )
        model = Model(
            name=name,
            params=params or {},
            path=self._entity_path(name, path),
            run_settings=run_settings,
            batch_settings=batch_settings,
        )
        if enable_key_prefixing:
            model.enable_key_prefixing()
        return model

    def create_ensemble(
        self,
        name: str,
        params: dict[str, t.Any] | None = None,
        batch_settings: BatchSettings | None = None,
        run_settings: RunSettings | None = None,
        replicas: int | None = None,
        perm_strategy: str = "all_perm",
        path: str | None = None,
        **kwargs: t.Any,
    ) -> Ensemble:
        """An Ensemble whose members are made from params (by ``perm_strategy``) or replicas."""
        with _logged_errors():
            return Ensemble(
                name=name,
                params=params or {},
                path=self._entity_path(name, path),
                batch_settings=batch_settings,
                run_settings=run_settings,
                perm_strat=perm_strategy,
                replicas=replicas,
                **kwargs,
            )

    def create_database(
        self,
        port: int = 6379,
        path: str | None = None,
        db_nodes: int = 1,
        batch: bool = False,
        hosts: list[str] | str | None = None,
        run_command: str = "auto",
        interface: str | list[str] = "ipogif0",
        account: str | None = None,
        time: str | None = None,
        queue: str | None = None,
        single_cmd: bool = True,
        db_identifier: str = "orchestrator",
        **kwargs: t.Any,
    ) -> Orchestrator:
        """An Orchestrator of ``db_nodes`` shards (1: standalone, 3+: cluster).

        :param port: TCP port (shards on one host use port, port+1, ...)
        :param interface: network interface(s); on the local launcher a missing one falls
            back to loopback with a warning
        :param db_identifier: unique name when an experiment has several databases (a
            repeated one is only warned about here; starting a second database under it
            raises ``SSDBIDConflictError``, as in SmartSim)
        """
        if db_identifier in self.db_identifiers:
            logger.warning(
                f"A database with the identifier {db_identifier} has already been made "
                "An error will be raised if multiple databases are started with the same "
                "identifier"
            )
        if queue:
            kwargs["queue"] = queue
        db = Orchestrator(
            path=path or osp.join(self.exp_path, db_identifier),
            port=port,
            interface=interface,
            launcher=self._launcher,
            run_command=run_command,
            db_nodes=db_nodes,
            batch=batch,
            hosts=hosts,
            account=account,
            time=time,
            single_cmd=single_cmd,
            db_identifier=db_identifier,
            **kwargs,
        )
        self.db_identifiers.add(db_identifier)
        return db

    def reconnect_orchestrator(self, checkpoint: str) -> Orchestrator:
        """Take over a database that an earlier driver started and left running.

        :param checkpoint: the database's ``checkpoint_file`` (``<path>/smartsim_db.dat``)
        """
        with _logged_errors():
            db = self._control.reconnect(checkpoint)
        self.db_identifiers.add(db.db_identifier)
        return db

    # -- lifecycle --------------------------------------------------------------------------

    def start(
        self,
        *args: Launchable,
        block: bool = True,
        summary: bool = False,
        kill_on_interrupt: bool = True,
    ) -> None:
        """Launch the entities: databases first, then ensembles, then models.

        :param block: wait until every non-database job has ended
        :param summary: log what is about to be launched first
        :param kill_on_interrupt: on Ctrl-C, stop every job this experiment started
        """
        manifest = Manifest(*args)
        if summary:
            logger.info(self._launch_summary(manifest))
        with _logged_errors():
            self._control.start(manifest, block=block, kill_on_interrupt=kill_on_interrupt)

    def stop(self, *args: Launchable) -> None:
        """Stop the entities' jobs (and everything they started) and wait until they are gone."""
        self._control.stop(Manifest(*args))

    def poll(
        self, interval: int = 10, verbose: bool = True, kill_on_interrupt: bool = True
    ) -> None:
        """Wait for every non-database job to end, logging statuses every ``interval`` s."""
        self._control.poll(interval, verbose, kill_on_interrupt)

    def finished(self, entity: SmartSimEntity) -> bool:
        """Whether the entity's job(s) have ended.

        :raises ValueError: the entity was never launched by this experiment
        """
        return self._control.finished(entity)

    def get_status(self, *args: Launchable) -> list[SmartSimStatus]:
        """The status of each entity (ensembles and databases give one per member/shard)."""
        statuses: list[SmartSimStatus] = []
        for entity in args:
            if isinstance(entity, EntitySequence):
                statuses.extend(self._control.status_of(member) for member in entity.entities)
            elif isinstance(entity, SmartSimEntity):
                statuses.append(self._control.status_of(entity))
            else:
                raise TypeError(f"{entity!r} is not a SmartSim entity")
        return statuses

    def generate(
        self,
        *args: Launchable,
        tag: str | None = None,
        overwrite: bool = False,
        verbose: bool = False,
    ) -> None:
        """Create the entities' directories and copy, symlink or configure attached files.

        As in SmartSim, whatever ``path`` an entity was given, a model's directory becomes
        ``<exp_path>/<name>``, an ensemble member's ``<exp_path>/<ensemble>/<member>`` and a
        database's ``<exp_path>/<db_identifier>``, and the entity's ``path`` is set to it.

        :param tag: the character around tagged parameters in configured files (default ``;``)
        :param overwrite: replace directories that already exist (only inside the
            experiment directory, and never one that a running entity uses)
        """
        with _logged_errors():
            Generator(
                self.exp_path,
                overwrite=overwrite,
                tag=tag,
                verbose=verbose,
                in_use=self._control.in_use_checker(),
            ).generate_experiment(*args)

    def preview(
        self,
        *args: t.Any,
        verbosity_level: previewrenderer.Verbosity | str = previewrenderer.Verbosity.INFO,
        output_format: previewrenderer.Format | str = previewrenderer.Format.PLAINTEXT,
        output_filename: str | None = None,
    ) -> None:
        """Show what would be launched, to stdout or to ``output_filename``.

        :param verbosity_level: info (user fields), debug (+ generated), developer (+ commands)
        :param output_format: only plain_text
        """
        manifest = Manifest(*args)
        commands = self._control.launch_commands(manifest)
        previewrenderer.preview(
            self.name,
            self.exp_path,
            self._launcher,
            manifest.models,
            manifest.ensembles,
            manifest.dbs,
            verbosity_level=verbosity_level,
            output_format=output_format,
            output_filename=output_filename,
            launch_commands=commands,
        )

    def summary(self, style: str = "github") -> str:
        """A table of every launched job: Name, Entity-Type, JobID, RunID, Time, Status, Returncode.

        :param style: a tabulate table format
        """
        rows = [
            [
                job.name,
                job.entity_type,
                run.job_id,
                run_id,
                f"{run.elapsed:.4f}",
                run.status.value,
                run.returncode,
            ]
            for job in self._control.jobs()
            for run_id, run in enumerate(job.runs)
        ]
        headers = ["Name", "Entity-Type", "JobID", "RunID", "Time", "Status", "Returncode"]
        return tabulate(
            rows, headers, showindex=True, tablefmt=style, missingval="None", disable_numparse=True
        )

    def report(self, path: str | None = None) -> str:
        """Write the experiment's dashboard (``smart report``) as one HTML file; its path.

        Made from the telemetry under ``<exp_path>/.smartsim/telemetry``; the file needs no
        network (data and output tails are inside it).

        :param path: where to write; default ``<exp_path>/report.html``
        :raises FileNotFoundError: nothing was started with telemetry enabled
        """
        from smartsim._core.dashboard import write_report  # only a report needs it

        return write_report(self.exp_path, path)

    def _launch_summary(self, manifest: Manifest) -> str:
        lines = [
            "=== Launch Summary ===",
            f"Experiment: {self.name}",
            f"Experiment Path: {self.exp_path}",
            f"Launcher: {self._launcher}",
        ]
        for ensemble in manifest.ensembles:
            lines.append(f"Ensemble: {ensemble.name} ({len(ensemble.models)} members)")
        for model in manifest.models:
            lines.append(f"Model: {model.name}\n{model.run_settings}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.name
