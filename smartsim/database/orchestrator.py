"""Orchestrator: the in-memory database (one or more shards) that entities exchange data through."""

from __future__ import annotations

import glob
import os
import secrets
import sys
import typing as t

from smartredis.wire import Connection, ProtocolError, ReplyError
from smartsim._core.config import get_config
from smartsim._core.telemetry import TelemetryConfiguration
from smartsim._core.utils.network import CLUSTER_BUS_OFFSET
from smartsim.entity.dbnode import DBNode
from smartsim.entity.entityList import EntityList
from smartsim.error import SmartSimError, SSConfigError, SSUnsupportedError
from smartsim.log import get_logger
from smartsim.settings import settings as settings_factory
from smartsim.settings.alpsSettings import AprunSettings
from smartsim.settings.base import BatchSettings, RunSettings, as_host_list
from smartsim.settings.lsfSettings import BsubBatchSettings, JsrunSettings
from smartsim.settings.mpiSettings import MpiexecSettings, MpirunSettings, OrterunSettings
from smartsim.settings.palsSettings import PalsMpiexecSettings
from smartsim.settings.pbsSettings import QsubBatchSettings
from smartsim.settings.slurmSettings import SbatchSettings, SrunSettings
from smartsim.wlm import detect_launcher

logger = get_logger(__name__)

SHARD_ENTRYPOINT = "smartsim._core.entrypoints.dbshard"
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
"""The directory holding the smartsim package, for processes started without site."""
CHECKPOINT_NAME = "smartsim_db.dat"
_UNREACHABLE = (OSError, ProtocolError)
"""What a raw Connection raises when the shard cannot be reached or the stream breaks (refused,
unresolvable host, timeout, connection closed mid-reply); the server's error replies are
ReplyError. Anything else (a bad address, a bug) is not caught."""
_EVICTION_POLICIES = (
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
)


_RUN_COMMANDS_BY_LAUNCHER: dict[str, list[str]] = {
    "dragon": [""],
    "slurm": ["srun", "mpirun", "mpiexec"],
    "pbs": ["aprun", "mpirun", "mpiexec"],
    "pals": ["mpiexec"],
    "lsf": ["jsrun"],
    "local": [""],
    "sge": ["mpirun", "mpiexec", "orterun"],
}
"""Run commands a database may be launched with on each launcher, in order of preference."""

_MPI_RESERVED = frozenset("np N c output-filename n wdir wd host".split())
_SLURM_RESERVED = frozenset(
    "nodes N ntasks n ntasks-per-node output o error e job-name J jobid multi-prog "
    "w chdir D".split()
)
_RESERVED_RUN_ARGS: dict[type[RunSettings], frozenset[str]] = {
    MpirunSettings: _MPI_RESERVED,
    MpiexecSettings: _MPI_RESERVED,
    OrterunSettings: _MPI_RESERVED,
    PalsMpiexecSettings: _MPI_RESERVED,
    SrunSettings: _SLURM_RESERVED,
    AprunSettings: frozenset("pes n pes-per-node N l pes-per-numa-node S wdir".split()),
    JsrunSettings: frozenset(
        "chdir h stdio_stdout o stdio_stderr k tasks_per_rs a np p cpu_per_rs c gpu_per_rs g "
        "latency_priority l memory_per_rs m nrs n rs_per_host r rs_per_socket K appfile f "
        "allocate_only A launch_node_task H use_reservation J use_resources bind b "
        "launch_distribution d".split()
    ),
}
"""Run arguments the shards' launch sets itself, per settings class (SmartSim's lists)."""
_RESERVED_BATCH_ARGS: dict[type[BatchSettings], frozenset[str]] = {
    SbatchSettings: _SLURM_RESERVED,
    QsubBatchSettings: frozenset({"e", "o", "N", "l"}),
    BsubBatchSettings: frozenset({"J", "o", "e", "m", "n", "nnodes"}),
}
"""Batch arguments the database's batch job sets itself, per settings class."""


def _check_run_command(launcher: str, run_command: str) -> None:
    """Refuse a run command the database cannot be launched with on ``launcher``."""
    supported = _RUN_COMMANDS_BY_LAUNCHER.get(launcher, [])
    if run_command not in supported:
        raise SmartSimError(
            f"Run command {run_command} is not supported on launcher {launcher}\n"
            f"Supported run commands for the given launcher are: {supported}"
        )


def _single_command(run_command: str, launcher: str, batch: bool, single_cmd: bool) -> bool:
    """Whether the shards can really run as one MPMD command (SmartSim's conditions)."""
    if not single_cmd or launcher in ("dragon", "local"):
        return False
    if run_command == "srun" and os.environ.get("SLURM_HET_SIZE") is not None:
        logger.info(
            "srun can not launch an orchestrator with single_cmd=True in a hetereogeneous job. "
            "Automatically switching to single_cmd=False."
        )
        return False
    if batch and run_command == "aprun":
        logger.info(
            "aprun can not launch an orchestrator with batch=True and single_cmd=True. "
            "Automatically switching to single_cmd=False."
        )
        return False
    return True


class Orchestrator(EntityList[DBNode]):
    """A database of ``db_nodes`` shards: 1 is a standalone server, 3 or more a cluster.

    Each shard is launched as its own job (a DBNode), unless ``single_cmd`` and a launcher
    able to start several programs with one command (MPMD) make them one DBNode
    ``<db_identifier>_0`` running every shard; LSF always does so, Dragon never.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        port: int = 6379,
        interface: str | list[str] = "lo",
        launcher: str = "local",
        run_command: str = "auto",
        db_nodes: int = 1,
        batch: bool = False,
        hosts: str | list[str] | None = None,
        account: str | None = None,
        time: str | None = None,
        alloc: str | None = None,
        single_cmd: bool = False,
        *,
        threads_per_queue: int | None = None,
        inter_op_threads: int | None = None,
        intra_op_threads: int | None = None,
        db_identifier: str = "orchestrator",
        password: bool = False,
        **kwargs: t.Any,
    ) -> None:
        """
        :param path: directory of the shards' output files and checkpoint (``str()`` of it)
        :param port: TCP port (shards sharing a host use port, port+1, ...)
        :param interface: network interface(s) to listen on
        :param launcher: the experiment's launcher (auto: the one found on this machine)
        :param run_command: run command of the shards (auto: the launcher's first found)
        :param db_nodes: number of shards: 1, or 3 and more for a cluster
        :param batch: launch the shards as one batch job
        :param hosts: hosts to place the shards on (one per shard; not on the local launcher)
        :param single_cmd: launch all shards with one MPMD command where the launcher can
        :param threads_per_queue: inference workers per shard
        :param inter_op_threads: threads across a backend's operations
        :param intra_op_threads: threads within a backend's operation
        :param db_identifier: name of this database among several
        :param password: require a secret generated at each start (see :attr:`password`);
            the entities launched with it get it in ``SR_DB_PASSWORD[_<db_identifier>]``
        :raises SmartSimError: the run command is not one the launcher supports
        """
        if not isinstance(db_nodes, int) or isinstance(db_nodes, bool) or db_nodes < 1:
            raise ValueError(f"db_nodes must be a positive int, got {db_nodes!r}")
        if db_nodes == 2:
            raise SSUnsupportedError(
                "Orchestrator does not support clusters of size 2: use db_nodes=1 (standalone) "
                "or db_nodes>=3 (cluster)"
            )
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ValueError(f"port must be an int between 1 and 65535, got {port!r}")
        if db_nodes > 2 and port + db_nodes - 1 + CLUSTER_BUS_OFFSET > 65535:
            raise ValueError(
                f"port {port} is too high for a cluster: each shard also listens on its port + "
                f"{CLUSTER_BUS_OFFSET} (the cluster bus); use a port below "
                f"{65536 - CLUSTER_BUS_OFFSET - db_nodes + 1}"
            )
        if not isinstance(db_identifier, str) or not db_identifier:
            raise ValueError(f"db_identifier must be a non-empty str, got {db_identifier!r}")
        self.launcher = detect_launcher() if launcher == "auto" else launcher
        self.run_command = (
            settings_factory.detect_run_command(self.launcher, _RUN_COMMANDS_BY_LAUNCHER)
            if run_command == "auto"
            else run_command
        )
        _check_run_command(self.launcher, self.run_command)
        if self.launcher == "local" and batch:
            raise SmartSimError("Local orchestrator can not be launched with batch=True")
        self.port = port
        self._interfaces = as_host_list(interface or [], "interface")
        if not self._interfaces:
            raise ValueError("At least one network interface is needed")
        self._db_identifier = db_identifier
        self.batch = batch
        self.single_cmd = _single_command(self.run_command, self.launcher, batch, single_cmd)
        self.alloc = alloc
        self.queue_threads = threads_per_queue
        self.inter_threads = inter_op_threads
        self.intra_threads = intra_op_threads
        self._user_hostlist: list[str] = []
        self._db_conf: dict[str, str] = {}
        self._password_required = bool(password)
        self._password = ""
        self._telemetry = TelemetryConfiguration()
        self._run_args: dict[str, t.Any] = dict(kwargs.pop("run_args", None) or {})
        self._gpus_per_shard = int(kwargs.pop("gpus_per_shard", 0))
        self._cpus_per_shard = int(kwargs.pop("cpus_per_shard", 4))
        kwargs.pop("db_cpus", None)  # SmartSim 0.5's option; set_cpus replaces it
        batch_settings = None
        if batch and not alloc:
            batch_settings = settings_factory.create_batch_settings(
                self.launcher, nodes=db_nodes, time=time or "", account=account or "", **kwargs
            )
        super().__init__(
            db_identifier,
            os.path.abspath(str(path) if path is not None else os.getcwd()),
            batch_settings=batch_settings,
            run_settings=self._shard_settings(),
            db_nodes=db_nodes,
        )
        if hosts and self.launcher != "local":
            self.set_hosts(hosts)

    def _shard_settings(self) -> RunSettings:
        """Run settings of one shard: the shard entrypoint under the run command, one task."""
        # -S skips site initialisation (~15 ms of a shard's start-up); the shard needs only
        # this package and the standard library, which the launch puts on PYTHONPATH.
        settings = settings_factory.create_run_settings(
            self.launcher,
            sys.executable,
            exe_args=["-S", "-m", SHARD_ENTRYPOINT],
            run_command=self.run_command,
            run_args=dict(self._run_args),
        )
        if self.alloc and isinstance(settings, SrunSettings):
            settings.alloc = self.alloc
        if self.launcher not in ("local", "dragon", "lsf"):
            settings.set_tasks(1)
            settings.set_tasks_per_node(1)
        return settings

    def _lsf_settings(self, shard: int) -> RunSettings:
        """jsrun settings of one shard: packed, unbound, its own ERF line (SmartSim's)."""
        settings = self._shard_settings()
        settings.run_args["launch_distribution"] = "packed"
        settings.set_binding("none")
        cpus = f"{{0:{self._cpus_per_shard}}}"
        erf_sets = {"rank": str(shard), "host": str(1 + shard), "cpu": cpus}
        if self._gpus_per_shard > 1:
            erf_sets["gpu"] = f"{{0-{self._gpus_per_shard - 1}}}"
        elif self._gpus_per_shard > 0:
            erf_sets["gpu"] = "{0}"
        if isinstance(settings, JsrunSettings):
            settings.set_erf_sets(erf_sets)
        return settings

    def _initialize_entities(self, **kwargs: t.Any) -> None:
        shards: int = kwargs["db_nodes"]
        if (self.single_cmd and shards > 1) or self.launcher == "lsf":
            lsf = self.launcher == "lsf"
            settings = self._lsf_settings(0) if lsf else self._shard_settings()
            for shard in range(1, shards):
                settings.make_mpmd(self._lsf_settings(shard) if lsf else self._shard_settings())
            name = f"{self._db_identifier}_0"
            ports = [self.port] * shards
            self.entities.append(DBNode(name, self.path, settings, ports, None, self.db_identifier))
            return
        for i in range(shards):
            name = f"{self._db_identifier}_{i}"
            settings = self._shard_settings()
            self.entities.append(
                DBNode(name, self.path, settings, [self.port], None, self._db_identifier)
            )

    # -- identity and placement -------------------------------------------------------------

    @property
    def type(self) -> str:
        """See base."""
        return "Orchestrator"

    @property
    def telemetry(self) -> TelemetryConfiguration:
        """The database's telemetry switch, off by default as in SmartSim: on, the experiment
        samples its shards' memory and clients (see ``docs/telemetry.md``)."""
        return self._telemetry

    @property
    def db_identifier(self) -> str:
        """The database's name among several in one experiment."""
        return self._db_identifier

    @property
    def num_shards(self) -> int:
        """Number of shards (a DBNode launched as MPMD runs several)."""
        return sum(node.num_shards for node in self.entities)

    @property
    def db_nodes(self) -> int:
        """Number of shards (SmartSim's older name)."""
        return self.num_shards

    @property
    def is_clustered(self) -> bool:
        """Whether the shards form a Redis Cluster (3 or more shards)."""
        return self.num_shards > 2

    @property
    def interfaces(self) -> list[str]:
        """Network interfaces the shards listen on."""
        return list(self._interfaces)

    @property
    def ports(self) -> list[int]:
        """The distinct ports of the shards."""
        return sorted({port for node in self.entities for port in node.ports})

    @property
    def hosts(self) -> list[str]:
        """The distinct hosts the shards listen on, once launched.

        :raises SSDBFilesNotParseable: the database has not been launched
        """
        return list(dict.fromkeys(host for node in self.entities for host in node.hosts))

    @property
    def db_type(self) -> str:
        """The database protocol (a Redis-compatible server)."""
        return "redis"

    @property
    def server_exe(self) -> str:
        """Path of the server binary the shards run."""
        try:
            return get_config().database_exe
        except SSConfigError as exc:
            return f"(not found: {exc})"

    @property
    def password_required(self) -> bool:
        """Whether the database was created with ``password=True``."""
        return self._password_required

    @property
    def password(self) -> str | None:
        """The secret clients authenticate with, once the database started with
        ``password=True`` (None otherwise). Our client reads it from ``SR_DB_PASSWORD``."""
        return self._password or None

    def _renew_password(self) -> None:
        """A new secret for a start (none unless ``password=True``)."""
        self._password = secrets.token_hex(32) if self._password_required else ""

    def _connection(self, address: str, timeout: float) -> Connection:
        """A connection to one shard, authenticated when the database has a password."""
        return Connection(address, timeout=timeout, password=self._password)

    @property
    def checkpoint_file(self) -> str:
        """The file that ``Experiment.reconnect_orchestrator`` reads to find this database."""
        return os.path.join(self.path, CHECKPOINT_NAME)

    @property
    def db_conf(self) -> dict[str, str]:
        """Server settings given to every shard at start (e.g. maxmemory)."""
        return dict(self._db_conf)

    def set_path(self, new_path: str) -> None:
        """Move the database's directory (and its shards' output files)."""
        super().set_path(new_path)
        for node in self.entities:
            node.set_path(new_path)

    def set_hosts(self, host_list: str | list[str]) -> None:
        """Place the shards on these hosts, one per shard (SmartSim's placement per
        launcher: the batch job's host list, each shard's run settings, or on LSF the nodes).

        :raises TypeError: not a str or a list of str
        """
        if isinstance(host_list, str):
            host_list = [host_list.strip()]
        if not isinstance(host_list, list):
            raise TypeError("host_list argument must be a list of strings")
        if not all(isinstance(host, str) for host in host_list):
            raise TypeError("host_list argument must be list of strings")
        self._user_hostlist = list(host_list)
        if self.batch and self.batch_settings is not None:
            self.batch_settings.set_hostlist(host_list)
        first = self.entities[0]
        if self.launcher == "lsf":
            for node in self.entities:
                node.set_hosts(host_list)
        elif (
            self.launcher == "pals"
            and isinstance(first.run_settings, PalsMpiexecSettings)
            and first.is_mpmd
        ):
            first.run_settings.set_hostlist(host_list)  # --hosts is global to the command
        else:
            for host, node in zip(host_list, self.entities, strict=False):
                assert node.run_settings is not None
                if not (isinstance(node.run_settings, AprunSettings) and self.batch):
                    node.run_settings.set_hostlist([host])
                for other, part in zip(host_list[1:], node.run_settings.mpmd, strict=False):
                    part.set_hostlist(other)

    def reset_hosts(self) -> None:
        """Forget where the shards ran, then place them again on the hosts the user set."""
        for node in self.entities:
            node.clear_hosts()
        if self._user_hostlist:
            self.set_hosts(self._user_hostlist)

    # -- launch settings --------------------------------------------------------------------

    def _each_settings(self) -> t.Iterator[RunSettings]:
        """Every shard's run settings, MPMD parts included."""
        for node in self.entities:
            assert node.run_settings is not None
            yield node.run_settings
            yield from node.run_settings.mpmd

    def set_cpus(self, num_cpus: int) -> None:
        """CPUs for each shard (and, for a batch job, per task of the job)."""
        if not isinstance(num_cpus, int) or num_cpus < 1:
            raise ValueError(f"num_cpus must be a positive int, got {num_cpus!r}")
        if self.batch and self.batch_settings is not None:
            if self.launcher == "pbs" and hasattr(self.batch_settings, "set_ncpus"):
                self.batch_settings.set_ncpus(num_cpus)
            if self.launcher == "slurm" and hasattr(self.batch_settings, "set_cpus_per_task"):
                self.batch_settings.set_cpus_per_task(num_cpus)
        for settings in self._each_settings():
            settings.set_cpus_per_task(num_cpus)

    def set_walltime(self, walltime: str) -> None:
        """Wall time of the database's batch job."""
        if not self.batch:
            raise SmartSimError("Not running as batch, cannot set walltime")
        if self.batch_settings is not None:
            self.batch_settings.set_walltime(walltime)

    def set_batch_arg(self, arg: str, value: str | None = None) -> None:
        """Set an argument of the database's batch job; those the launch sets itself (e.g.
        ``job-name``) are refused with a warning."""
        if self.batch_settings is None:
            raise SmartSimError("Not running as batch, cannot set batch_arg")
        if arg in _RESERVED_BATCH_ARGS.get(type(self.batch_settings), frozenset()):
            logger.warning(
                f"Can not set batch argument {arg}: it is a reserved keyword in Orchestrator"
            )
            return
        self.batch_settings.batch_args[arg] = value

    def set_run_arg(self, arg: str, value: str | None = None) -> None:
        """Set an argument of every shard's run command; those the launch sets itself (e.g.
        ``ntasks``) are refused with a warning."""
        first = next(self._each_settings())
        if arg in _RESERVED_RUN_ARGS.get(type(first), frozenset()):
            logger.warning(
                f"Can not set run argument {arg}: it is a reserved keyword in Orchestrator"
            )
            return
        for settings in self._each_settings():
            settings.run_args[arg] = value

    # -- server configuration ---------------------------------------------------------------

    def set_db_conf(self, key: str, value: str) -> None:
        """Set a server setting: applied at once when running, and at every start.

        :raises SmartSimError: the server refused the setting
        """
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("Database configuration keys and values must be str")
        if self.is_active():
            for address in self.shard_addresses:
                try:
                    with self._connection(address, timeout=5) as conn:
                        conn.execute("CONFIG", "SET", key, value)
                except ReplyError as exc:
                    raise SmartSimError(
                        f"Invalid database setting {key}={value!r} on {address}: {exc}"
                    ) from exc
                except _UNREACHABLE as exc:
                    raise SmartSimError(
                        f"Could not set {key}={value!r} on the database at {address}: "
                        f"{exc or type(exc).__name__}"
                    ) from exc
        self._db_conf[key] = value

    def enable_checkpoints(self, frequency: int) -> None:
        """Save the data set to disk every ``frequency`` seconds if at least one key changed."""
        if not isinstance(frequency, int) or frequency < 1:
            raise ValueError(f"frequency must be a positive int of seconds, got {frequency!r}")
        self.set_db_conf("save", f"{frequency} 1")

    def set_max_memory(self, mem: str) -> None:
        """Memory limit of each shard, e.g. ``"3gb"`` (0 for none)."""
        self.set_db_conf("maxmemory", str(mem))

    def set_eviction_strategy(self, strategy: str) -> None:
        """What a full shard evicts; one of the server's maxmemory-policy values."""
        if strategy not in _EVICTION_POLICIES:
            raise ValueError(
                f"Eviction strategy {strategy!r} is not one of {list(_EVICTION_POLICIES)}"
            )
        self.set_db_conf("maxmemory-policy", strategy)

    def set_max_clients(self, clients: int = 50_000) -> None:
        """Most client connections each shard accepts."""
        self.set_db_conf("maxclients", str(int(clients)))

    def set_max_message_size(self, size: int = 1_073_741_824) -> None:
        """Largest single value (bulk string) a client may send, in bytes."""
        self.set_db_conf("proto-max-bulk-len", str(int(size)))

    # -- state ------------------------------------------------------------------------------

    @property
    def shard_addresses(self) -> list[str]:
        """``host:port`` of every launched shard, in shard order (without asking them)."""
        return [address for node in self.entities if node.launched for address in node.addresses]

    def get_address(self) -> list[str]:
        """``host:port`` of every shard.

        :raises SmartSimError: the database was not launched or does not answer
        """
        addresses = self.shard_addresses
        if not addresses:
            raise SmartSimError(f"Could not find the address of database {self.db_identifier}")
        if not self.is_active():
            raise SmartSimError(f"Database {self.db_identifier} is not active")
        return addresses

    def is_active(self) -> bool:
        """Whether every shard answers PING."""
        if not all(node.launched for node in self.entities):
            return False
        for address in self.shard_addresses:
            try:
                with self._connection(address, timeout=1) as conn:
                    conn.execute("PING")
            except (*_UNREACHABLE, ReplyError):  # ReplyError: e.g. LOADING, not ready yet
                return False
        return True

    def remove_stale_files(self) -> None:
        """Delete the cluster configs, shard output and MPMD files an earlier run of this
        database left behind."""
        for node in self.entities:
            stale = [os.path.join(self.path, f"{node.name}.mpmd"), *node.output_files]
            for name in node.shard_names:
                stale += glob.glob(os.path.join(self.path, f"nodes-{name}-*.conf"))
            for path in stale:
                if os.path.exists(path) and (path.endswith(".conf") or node.is_mpmd):
                    os.remove(path)

    def __str__(self) -> str:
        return (
            f"Orchestrator {self.db_identifier}: {self.num_shards} shard(s), ports {self.ports}, "
            f"interfaces {self._interfaces}"
        )
