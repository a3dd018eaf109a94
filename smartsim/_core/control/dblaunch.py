"""Database start-up: shard steps → addresses → wait → cluster → checkpoint, and reconnection.

The controller decides what starts when; this module starts databases. It builds each shard's
command line (read by ``entrypoints/dbshard.py``) and a colocated model's wrapper (read by
``entrypoints/colocated.py``), has the controller submit the shards, learns where they run,
waits until they answer, forms the Redis Cluster and writes the checkpoint that a later driver
reconnects from. It is given the launcher and the job manager; it never imports the controller.
"""

from __future__ import annotations

import copy
import os
import sys
import typing as t
import uuid

from smartsim._core.config import find_ai_module, get_config
from smartsim._core.control import checkpoint, dbcluster, dbobjects
from smartsim._core.control.jobmanager import JobManager
from smartsim._core.entrypoints import colocated, dbshard
from smartsim._core.entrypoints.server import PASSWORD_ENV
from smartsim._core.launcher.base import Launcher
from smartsim._core.launcher.step import BatchStep, Step
from smartsim._core.utils.network import port_in_use
from smartsim.database import Orchestrator
from smartsim.database.orchestrator import PACKAGE_ROOT
from smartsim.entity import Model
from smartsim.error import SmartSimError, SSDBIDConflictError
from smartsim.log import get_logger
from smartsim.status import TERMINAL_STATUSES, SmartSimStatus

logger = get_logger(__name__)

Submit = t.Callable[[list[Step | BatchStep]], list[str]]
"""Launches steps and records their jobs (the controller's); returns one job id per shard."""


def settings_env(env_vars: dict[str, str | None]) -> dict[str, str]:
    """The run settings' variables; a None value passes the driver's own value through."""
    return {
        name: (os.environ.get(name, "") if value is None else str(value))
        for name, value in env_vars.items()
    }


class DBLaunch:
    """Starts and adopts the databases of one controller, through its launcher and job manager.

    :param launcher_name: the launcher the controller was created for (checkpoints name theirs)
    :param launcher: returns the controller's launcher, which is created on first use
    :param jobs: where shard jobs are recorded and their statuses read
    """

    def __init__(
        self, launcher_name: str, launcher: t.Callable[[], Launcher], jobs: JobManager
    ) -> None:
        self._launcher_name = launcher_name
        self._launcher = launcher
        self._jobs = jobs

    def shard_steps(self, db: Orchestrator) -> list[Step]:
        """Assign each shard its port and addresses, and build its step."""
        launcher = self._launcher()
        server = get_config().database_exe
        module = find_ai_module()
        threads = db.queue_threads
        addresses = launcher.bind_addresses(db.interfaces)
        steps = []
        for i, shard in enumerate(db.entities):
            shard.port = db.port + i if launcher.shards_share_host else db.port
            if addresses is not None:
                shard.hosts = list(addresses)
                for address in addresses:
                    if port_in_use(address, shard.port):
                        raise SmartSimError(
                            f"Port {shard.port} on {address}, needed by database shard "
                            f"{shard.name}, is already in use; choose another port "
                            "(create_database(port=...))"
                        )
            settings = copy.deepcopy(db.run_settings)
            assert settings is not None
            settings.exe_args.extend(
                dbshard.argv(
                    shard.name,
                    shard.port,
                    workdir=db.path,
                    server=server,
                    addresses=addresses,
                    ifnames=list(db.interfaces) if addresses is None else None,
                    cluster=db.is_clustered,
                    conf=db.db_conf,
                    module=module.path,
                    no_module=module.reason or None,
                    workers=threads["threads_per_queue"],
                    inter_op=threads["inter_op_threads"],
                    intra_op=threads["intra_op_threads"],
                    password_env=PASSWORD_ENV if db.password else None,
                )
            )
            shard.run_settings = settings
            argv = launcher.argv(settings, db.path)
            env = {**settings_env(settings.env_vars), "PYTHONPATH": PACKAGE_ROOT}
            if db.password:
                env[PASSWORD_ENV] = db.password  # in the environment, never in argv
            steps.append(Step(shard.name, shard.type, argv, db.path, env))
        return steps

    def start(self, db: Orchestrator, submit: Submit) -> list[str]:
        """Launch the shards and return once the database answers (as a cluster if it is
        one), after writing its checkpoint; the shards' job ids.

        :raises SmartSimError: a shard ended or the database did not answer in time; the
            message ends with what the shards wrote last
        """
        os.makedirs(db.path, exist_ok=True)
        db.remove_stale_files()
        db._renew_password()
        steps = self.shard_steps(db)
        units: list[Step | BatchStep] = list(steps)
        if db.batch_settings is not None:
            units = [BatchStep(db.name, db.path, db.batch_settings, steps)]
        job_ids = submit(units)
        shard_names = [shard.name for shard in db.entities]

        def dead_shard() -> str | None:
            for name in shard_names:
                if self._status(name) in TERMINAL_STATUSES:
                    return name
            return None

        timeout = get_config().db_ready_timeout
        try:
            if not all(shard.hosts for shard in db.entities):
                found = self._launcher().job_addresses(job_ids, db.interfaces, timeout)
                for shard, hosts in zip(db.entities, found, strict=True):
                    shard.hosts = hosts
            addresses = [shard.address for shard in db.entities]
            password = db.password or ""
            dbcluster.wait_until_answering(addresses, dead_shard, timeout, password)
            if db.is_clustered:
                dbcluster.create_cluster(addresses, dead_shard, timeout, password)
        except SmartSimError as exc:
            raise SmartSimError(
                f"Database {db.db_identifier} did not start: {exc}\n" + output_tails(db)
            ) from exc
        checkpoint.write(db, job_ids, self._launcher().name)
        logger.info(
            f"Database {db.db_identifier} is ready at {', '.join(addresses)}"
            + (" (cluster)" if db.is_clustered else "")
        )
        return job_ids

    def reconnect(self, checkpoint_file: str, active: t.Container[str]) -> Orchestrator:
        """Take over a database a previous driver left running: its shards become jobs here.

        :param active: identifiers of the databases the controller already has
        :raises SmartSimError: the file is unreadable, or the database does not answer
        """
        db, job_ids, launcher_name = checkpoint.read(checkpoint_file)
        if launcher_name != self._launcher_name:
            raise SmartSimError(
                f"Database {db.db_identifier} was launched with the {launcher_name} launcher; "
                f"this experiment uses {self._launcher_name}"
            )
        if db.db_identifier in active:
            raise SSDBIDConflictError(f"Database {db.db_identifier} is already in this experiment")
        if not db.is_active():
            raise SmartSimError(
                f"Database {db.db_identifier} recorded in {checkpoint_file} does not answer at "
                f"{', '.join(shard.address for shard in db.entities)}"
            )
        for shard, job_id in zip(db.entities, job_ids, strict=True):
            launcher = self._launcher()
            if not launcher.adopt(job_id):
                raise SmartSimError(f"Shard {shard.name} (job {job_id}) is no longer running")
            self._jobs.add_run(shard.name, shard.type, True, job_id, launcher.name)
        return db

    def _status(self, name: str) -> SmartSimStatus:
        job = self._jobs.get(name)
        return job.current.status if job else SmartSimStatus.STATUS_NEVER_STARTED


def output_tails(db: Orchestrator, lines: int = 5) -> str:
    """The last lines each shard wrote, to show why a database did not start."""
    parts = []
    for shard in db.entities:
        for suffix in ("out", "err"):
            path = os.path.join(db.path, f"{shard.name}.{suffix}")
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    tail = handle.read().splitlines()[-lines:]
            except OSError:
                continue
            if tail:
                parts.append(f"--- {path} ---\n" + "\n".join(tail))
    return "\n".join(parts)


# -- colocated databases ----------------------------------------------------------------------


def colocated_wrapper(model: Model, password_env: str | None = None) -> list[str]:
    """The colocated entrypoint that runs a model's database beside it; the launcher puts the
    model's command after it (``... -- exe args``). A token new at each call marks the ranks
    of this launch, the only ones that share a database on a node.

    :param password_env: the variable of the model's environment that holds the password
        its database requires (None: no password)
    """
    colo = model.colocated_db_settings
    module = find_ai_module()
    threads = colo.get("rai_args") or {}
    if colo.get("unix_socket"):
        connection: dict[str, t.Any] = {
            "unix_socket": colo["unix_socket"],
            "socket_permissions": colo["socket_permissions"],
        }
    else:
        ifnames = colo["ifname"] if isinstance(colo["ifname"], list) else [colo["ifname"]]
        # the entrypoint always binds the loopback
        connection = {"port": colo["port"], "ifnames": [i for i in ifnames if i != "lo"]}
    options = colocated.argv(
        model.name,
        **connection,
        cpus=colo.get("custom_pinning") or None,
        conf=colo.get("extra_db_args", {}),
        db_objects=colocated_spec_path(model) if dbobjects.attached_objects([model]) else None,
        module=module.path,
        no_module=module.reason or None,
        workers=threads.get("threads_per_queue"),
        inter_op=threads.get("inter_op_parallelism"),
        intra_op=threads.get("intra_op_parallelism"),
        share_key=uuid.uuid4().hex,
        password_env=password_env,
    )
    return [sys.executable, "-m", colocated.MODULE, *options]


def colocated_spec_path(model: Model) -> str:
    """Where the ML objects that a colocated model's entrypoint loads are described."""
    return os.path.join(model.path, ".smartsim", f"{model.name}-db-objects.json")


def write_colocated_spec(model: Model) -> None:
    """Describe the ML objects a colocated model's entrypoint stores (none: no file)."""
    objects = dbobjects.attached_objects([model])
    if objects:
        dbobjects.write_spec(objects, os.path.dirname(colocated_spec_path(model)), model.name)
