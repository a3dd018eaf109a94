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
from smartsim.settings.base import as_host_list

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


class Orchestrator(EntityList[DBNode]):
    """A database of ``db_nodes`` shards: 1 is a standalone server, 3 or more a cluster."""

    def __init__(
        self,
        path: str | None = None,
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
        :param path: directory of the shards' output files and checkpoint
        :param port: TCP port (shards sharing a host use port, port+1, ...)
        :param interface: network interface(s) to listen on
        :param launcher: the experiment's launcher
        :param run_command: run command of the shards (auto: the launcher's default)
        :param db_nodes: number of shards: 1, or 3 and more for a cluster
        :param batch: launch the shards as one batch job
        :param hosts: hosts to place the shards on
        :param db_identifier: name of this database among several
        :param password: require a secret generated at each start (see :attr:`password`);
            the entities launched with it get it in ``SR_DB_PASSWORD[_<db_identifier>]``
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
        self.port = port
        self._interfaces = as_host_list(interface or [], "interface")
        if not self._interfaces:
            raise ValueError("At least one network interface is needed")
        self.launcher = launcher
        self._db_identifier = db_identifier
        self._hosts = as_host_list(hosts or [], "hosts")
        self.batch = batch
        self.single_cmd = single_cmd
        self.alloc = alloc
        self.queue_threads = {
            "threads_per_queue": threads_per_queue,
            "inter_op_threads": inter_op_threads,
            "intra_op_threads": intra_op_threads,
        }
        self._db_conf: dict[str, str] = {}
        self._password_required = bool(password)
        self._password = ""
        self._telemetry = TelemetryConfiguration()
        self.db_cpus = int(kwargs.pop("db_cpus", 1))
        # -S skips site initialisation (~15 ms of a shard's start-up); the shard needs only
        # this package and the standard library, which the launch puts on PYTHONPATH.
        run_settings = settings_factory.create_run_settings(
            launcher,
            sys.executable,
            exe_args=["-S", "-m", SHARD_ENTRYPOINT],
            run_command=run_command,
        )
        if alloc and hasattr(run_settings, "alloc"):
            run_settings.alloc = alloc  # run settings that launch into an allocation (srun)
        batch_settings = None
        if batch:
            batch_settings = settings_factory.create_batch_settings(
                launcher, nodes=db_nodes, time=time or "", account=account or "", **kwargs
            )
        super().__init__(
            db_identifier,
            os.path.abspath(path or os.getcwd()),
            batch_settings=batch_settings,
            run_settings=run_settings,
            db_nodes=db_nodes,
        )

    def _initialize_entities(self, **kwargs: t.Any) -> None:
        for i in range(kwargs["db_nodes"]):
            self.entities.append(
                DBNode(f"{self._db_identifier}_{i}", self.path, self.run_settings, self.port)
            )

    # -- identity and placement -------------------------------------------------------------

    @property
    def type(self) -> str:
        """See base."""
        return "Orchestrator"

    @property
    def telemetry(self) -> TelemetryConfiguration:
        """The telemetry switch (kept for SmartSim scripts; no monitor process runs)."""
        return self._telemetry

    @property
    def db_identifier(self) -> str:
        """The database's name among several in one experiment."""
        return self._db_identifier

    @property
    def num_shards(self) -> int:
        """Number of shards."""
        return len(self.entities)

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
        return sorted({shard.port for shard in self.entities})

    @property
    def hosts(self) -> list[str]:
        """Hosts the shards run on: the ones set, or the addresses learnt at launch."""
        if self._hosts:
            return list(self._hosts)
        return [shard.hosts[0] for shard in self.entities if shard.hosts]

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
        for shard in self.entities:
            shard.set_path(new_path)

    def set_hosts(self, host_list: str | list[str]) -> None:
        """Place the shards on these hosts (one per shard)."""
        hosts = as_host_list(host_list)
        if not hosts:
            raise ValueError("host_list must not be empty")
        self._hosts = hosts
        if self.batch_settings is not None:
            self.batch_settings.set_hostlist(hosts)

    def reset_hosts(self) -> None:
        """Forget the hosts set or learnt, e.g. before launching again elsewhere."""
        self._hosts = []
        for shard in self.entities:
            shard.hosts = []

    # -- launch settings --------------------------------------------------------------------

    def set_cpus(self, num_cpus: int) -> None:
        """CPUs for each shard."""
        if not isinstance(num_cpus, int) or num_cpus < 1:
            raise ValueError(f"num_cpus must be a positive int, got {num_cpus!r}")
        self.db_cpus = num_cpus
        assert self.run_settings is not None
        self.run_settings.set_cpus_per_task(num_cpus)

    def set_walltime(self, walltime: str) -> None:
        """Wall time of the database's batch job."""
        if self.batch_settings is None:
            raise SmartSimError("Not running as a batch job: cannot set a walltime")
        self.batch_settings.set_walltime(walltime)

    def set_batch_arg(self, arg: str, value: str | None = None) -> None:
        """Set an argument of the database's batch job."""
        if self.batch_settings is None:
            raise SmartSimError("Not running as a batch job: cannot set a batch argument")
        self.batch_settings.batch_args[arg] = value

    def set_run_arg(self, arg: str, value: str | None = None) -> None:
        """Set an argument of the shards' run command."""
        assert self.run_settings is not None
        self.run_settings.set(arg, value)

    # -- server configuration ---------------------------------------------------------------

    def set_db_conf(self, key: str, value: str) -> None:
        """Set a server setting: applied at once when running, and at every start.

        :raises SmartSimError: the server refused the setting
        """
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("Database configuration keys and values must be str")
        if self.is_active():
            for address in self._addresses():
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

    def _addresses(self) -> list[str]:
        return [shard.address for shard in self.entities if shard.hosts]

    def get_address(self) -> list[str]:
        """``host:port`` of every shard.

        :raises SmartSimError: the database was not launched or does not answer
        """
        addresses = self._addresses()
        if not addresses:
            raise SmartSimError(f"Could not find the address of database {self.db_identifier}")
        if not self.is_active():
            raise SmartSimError(f"Database {self.db_identifier} is not active")
        return addresses

    def is_active(self) -> bool:
        """Whether every shard answers PING."""
        addresses = self._addresses()
        if not addresses:
            return False
        for address in addresses:
            try:
                with self._connection(address, timeout=1) as conn:
                    conn.execute("PING")
            except (*_UNREACHABLE, ReplyError):  # ReplyError: e.g. LOADING, not ready yet
                return False
        return True

    def remove_stale_files(self) -> None:
        """Delete cluster config files an earlier run of this database left behind."""
        for shard in self.entities:
            pattern = os.path.join(self.path, f"nodes-{shard.name}-*.conf")
            for stale in glob.glob(pattern):
                os.remove(stale)

    def __str__(self) -> str:
        return (
            f"Orchestrator {self.db_identifier}: {self.num_shards} shard(s), ports {self.ports}, "
            f"interfaces {self._interfaces}"
        )
