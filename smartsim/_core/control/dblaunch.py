"""Database start-up: shard steps → addresses → wait → cluster → checkpoint, and reconnection.

The controller decides what starts when; this module starts databases. It builds each shard's
command line (read by ``entrypoints/dbshard.py``) and a colocated model's wrapper (read by
``entrypoints/colocated.py``), has the controller submit the shards, learns where they run,
waits until they answer, forms the Redis Cluster and writes the checkpoint that a later driver
reconnects from. It is given the launcher and the job manager; it never imports the controller.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
import typing as t
import uuid

from smartsim._core.config import find_ai_module, get_config
from smartsim._core.control import checkpoint, dbcluster, dbobjects
from smartsim._core.control.jobmanager import JobManager
from smartsim._core.entrypoints import colocated, dbshard
from smartsim._core.entrypoints.server import PASSWORD_ENV
from smartsim._core.launcher.base import Launcher
from smartsim._core.launcher.slurm.step import multi_prog
from smartsim._core.launcher.step import BatchStep, Step
from smartsim._core.utils.network import port_in_use
from smartsim.database import Orchestrator
from smartsim.database.orchestrator import PACKAGE_ROOT
from smartsim.entity import Model
from smartsim.entity.dbnode import DBNode
from smartsim.error import SmartSimError, SSDBIDConflictError
from smartsim.log import get_logger
from smartsim.settings.slurmSettings import SrunSettings
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
        """Assign each shard its port (and addresses, when known in advance) and build one
        step per DBNode: a shard, or all of an MPMD node's shards in one command."""
        launcher = self._launcher()
        server = get_config().database_exe
        module = find_ai_module()
        addresses = launcher.bind_addresses(db.interfaces)
        steps = []
        index = 0  # the shard's place in the database
        for node in db.entities:
            settings = copy.deepcopy(node.run_settings)  # the node keeps its own unextended
            assert settings is not None
            ports = []
            parts = [settings, *settings.mpmd]
            for i, (part, name) in enumerate(zip(parts, node.shard_names, strict=True)):
                port = db.port + index if launcher.shards_share_host else db.port
                index += 1
                for address in addresses or []:
                    if port_in_use(address, port):
                        raise SmartSimError(
                            f"Port {port} on {address}, needed by database shard {name}, is "
                            "already in use; choose another port (create_database(port=...))"
                        )
                out_file = node.output_files[i] if node.is_mpmd else None
                part.exe_args.extend(
                    dbshard.argv(
                        name,
                        port,
                        workdir=db.path,
                        server=server,
                        addresses=addresses,
                        ifnames=list(db.interfaces) if addresses is None else None,
                        cluster=db.is_clustered,
                        conf=db.db_conf,
                        module=module.path,
                        no_module=module.reason or None,
                        workers=db.queue_threads,
                        inter_op=db.inter_threads,
                        intra_op=db.intra_threads,
                        password_env=PASSWORD_ENV if db.password else None,
                        out_file=out_file,
                        err_file=_err_file(out_file) if out_file else None,
                    )
                )
                ports.append(port)
            node.ports = ports
            if addresses is not None:
                node.set_shard_hosts([list(addresses) for _ in ports])
            if isinstance(settings, SrunSettings) and settings.mpmd:
                config = os.path.join(db.path, f"{node.name}.mpmd")
                settings, text = multi_prog(settings, config)
                with open(config, "w", encoding="utf-8") as handle:
                    handle.write(text)
            argv = launcher.argv(settings, db.path)
            env = {**settings_env(settings.env_vars), "PYTHONPATH": PACKAGE_ROOT}
            if db.password:
                env[PASSWORD_ENV] = db.password  # in the environment, never in argv
            steps.append(Step(node.name, node.type, argv, db.path, env))
        return steps

    def start(self, db: Orchestrator, submit: Submit) -> list[str]:
        """Launch the shards and return once the database answers (as a cluster if it is
        one), after writing its checkpoint; the DBNodes' job ids.

        :raises SmartSimError: a shard ended or the database did not answer in time; the
            message ends with what the shards wrote last
        """
        os.makedirs(db.path, exist_ok=True)
        db.remove_stale_files()
        db._renew_password()
        for node in db.entities:
            node.clear_hosts()
        steps = self.shard_steps(db)
        units: list[Step | BatchStep] = list(steps)
        if db.batch_settings is not None:
            units = [BatchStep(db.name, db.path, db.batch_settings, steps)]
        job_ids = submit(units)
        node_names = [node.name for node in db.entities]

        def dead_shard() -> str | None:
            for name in node_names:
                if self._status(name) in TERMINAL_STATUSES:
                    return name
            return None

        config = get_config()
        timeout = config.db_ready_timeout
        try:
            waiting = [
                (n, job) for n, job in zip(db.entities, job_ids, strict=True) if not n.launched
            ]
            self._launcher().wait_started(
                [job for _, job in waiting],
                f"Database {db.db_identifier}",
                timeout,
                config.db_queue_timeout,
            )
            deadline = time.monotonic() + timeout  # for the servers, once their jobs run
            single = [(node, job) for node, job in waiting if not node.is_mpmd]
            if single:
                found = self._launcher().job_addresses(
                    [job for _, job in single], db.interfaces, timeout
                )
                for (node, _), hosts in zip(single, found, strict=True):
                    node.set_shard_hosts([hosts])
            for node, _ in waiting:
                if node.is_mpmd:
                    node.set_shard_hosts(reported_hosts(node, dead_shard, deadline))
            addresses = db.shard_addresses
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
                f"{', '.join(db.shard_addresses)}"
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
    """The last lines each DBNode (and each shard of an MPMD node) wrote, to show why a
    database did not start."""
    names = [db.name] if db.batch_settings is not None else []  # the batch job's own files
    paths = [os.path.join(db.path, f"{name}.{sfx}") for name in names for sfx in ("out", "err")]
    for node in db.entities:
        paths += [os.path.join(db.path, f"{node.name}.{suffix}") for suffix in ("out", "err")]
        if node.is_mpmd:
            paths += [path for out in node.output_files for path in (out, _err_file(out))]
    return "\n".join(_tails(paths, lines))


def _tails(paths: list[str], lines: int) -> list[str]:
    """The last ``lines`` lines of each file that has some, under its path."""
    parts = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                tail = handle.read().splitlines()[-lines:]
        except OSError:
            continue
        if tail:
            parts.append(f"--- {path} ---\n" + "\n".join(tail))
    return parts


def _err_file(out_file: str) -> str:
    """The error file beside an output file (``x.out`` -> ``x.err``)."""
    return f"{os.path.splitext(out_file)[0]}.err"


def reported_hosts(
    node: DBNode, dead_shard: dbcluster.DeadShard, deadline: float
) -> list[list[str]]:
    """Per shard of an MPMD node, the addresses it says it listens on: each shard prints
    them in its output file once its server listens (under a workload manager the driver
    cannot tell which task runs where).

    :raises SmartSimError: the node ended or the deadline passed first
    """
    found: dict[int, list[str]] = {}

    def all_reported() -> bool:
        for i, path in enumerate(node.output_files):
            if i not in found:
                hosts = _shard_info(path)
                if hosts:
                    found[i] = hosts
        return len(found) == node.num_shards

    dbcluster.poll_until(all_reported, dead_shard, deadline, f"the shards of {node.name} to start")
    return [found[i] for i in range(node.num_shards)]


def _shard_info(path: str) -> list[str]:
    """The addresses a shard reported in its output file (none yet: empty)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(dbshard.SHARD_INFO + " "):
                    info = json.loads(line.split(" ", 1)[1])
                    return [str(host) for host in info.get("addresses") or [info["hostname"]]]
    except (OSError, ValueError, KeyError):
        pass
    return []


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
