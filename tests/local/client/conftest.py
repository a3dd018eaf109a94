"""Real database servers for client tests: a standalone one, a 3-shard cluster, a Unix socket.

``standalone_db`` and ``cluster_db`` are databases started once per test session through
``Experiment.create_database`` (loopback only) and emptied before each test. Tests that stop,
freeze or reshape a server use ``private_standalone_db``/``private_cluster_db``: fresh servers
started directly and stopped in teardown. Each fixture points SSDB and SR_DB_TYPE at its
database and yields a ``Database`` record.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from smartredis.wire.connection import Connection
from smartredis.wire.protocol import ReplyError
from smartredis.wire.slots import SLOTS
from smartsim import Experiment
from smartsim._core.config import find_database_exe
from smartsim._core.utils.network import find_free_port, find_free_ports
from tests.conftest import keep_for_the_session

READY_TIMEOUT = 30.0


@dataclass
class Database:
    """Where the test database listens and what a Client needs to know about it."""

    addresses: list[str]
    cluster: bool
    processes: list[subprocess.Popen] = field(default_factory=list, repr=False)

    @property
    def db_type(self) -> str:
        """The SR_DB_TYPE value for this database."""
        return "Clustered" if self.cluster else "Standalone"

    @property
    def ssdb(self) -> str:
        """The SSDB value for this database."""
        return ",".join(self.addresses)


def _start_server(workdir: Path, args: list[str]) -> subprocess.Popen:
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [find_database_exe(), *args, "--save", "", "--appendonly", "no", "--dir", str(workdir)]
    with open(workdir / "server.log", "wb") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def _wait(check, what: str, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            if check():
                return
        except (OSError, ReplyError):
            pass
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"database server exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _ping(address: str) -> bool:
    with Connection(address, timeout=1.0) as conn:
        return conn.execute("PING") == "PONG"


def _cluster_ok(address: str, count: int) -> bool:
    with Connection(address, timeout=1.0) as conn:
        info = bytes(conn.execute("CLUSTER", "INFO")).decode()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return fields.get("cluster_state") == "ok" and fields.get("cluster_known_nodes") == str(count)


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_standalone(workdir: Path, unix_socket: Path | None = None) -> Database:
    """One server on a free TCP port, or on ``unix_socket`` only."""
    if unix_socket is not None:
        args = ["--port", "0", "--unixsocket", str(unix_socket), "--unixsocketperm", "700"]
        address = f"unix://{unix_socket}"
    else:
        port = find_free_port()
        args = ["--port", str(port), "--bind", "127.0.0.1"]
        address = f"127.0.0.1:{port}"
    proc = _start_server(workdir, args)
    db = Database([address], cluster=False, processes=[proc])
    try:
        _wait(lambda: _ping(address), f"{address} to answer", [proc])
    except BaseException:
        _stop([proc])
        raise
    return db


def start_cluster(workdir: Path, shards: int = 3) -> Database:
    """``shards`` servers in cluster mode, slots split evenly, waited on until the cluster is ok."""
    first_port = find_free_ports(shards, cluster=True)  # cluster-bus ports (+10000) free too
    ports = list(range(first_port, first_port + shards))
    procs = []
    try:
        for port in ports:
            procs.append(
                _start_server(
                    workdir / f"shard{port}",
                    ["--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes"]
                    + ["--cluster-config-file", str(workdir / f"nodes-{port}.conf")],
                )
            )
        addresses = [f"127.0.0.1:{port}" for port in ports]
        for address in addresses:
            _wait(lambda a=address: _ping(a), f"{address} to answer", procs)
        for i, address in enumerate(addresses):
            with Connection(address, timeout=5.0) as conn:
                first, last = i * SLOTS // shards, (i + 1) * SLOTS // shards - 1
                conn.execute("CLUSTER", "ADDSLOTSRANGE", first, last)
                if i:
                    conn.execute("CLUSTER", "MEET", "127.0.0.1", ports[0])
        for address in addresses:
            _wait(lambda a=address: _cluster_ok(a, shards), f"the cluster at {address}", procs)
    except BaseException:
        _stop(procs)
        raise
    return Database(addresses, cluster=True, processes=procs)


def _use(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("SSDB", db.ssdb)
    monkeypatch.setenv("SR_DB_TYPE", db.db_type)
    for name in ("SSKEYIN", "SSKEYOUT", "SR_LOG_FILE", "SR_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    return db


@pytest.fixture(scope="session")
def _session_dbs(tmp_path_factory):
    """A standalone database and a 3-shard cluster, started through an Experiment."""
    exp = Experiment("client-tests", exp_path=str(tmp_path_factory.mktemp("client-dbs")))
    standalone = exp.create_database(port=find_free_ports(1), interface="lo")
    cluster = exp.create_database(
        port=find_free_ports(3, cluster=True), db_nodes=3, interface="lo", db_identifier="cluster"
    )
    exp.start(standalone, cluster)
    keep_for_the_session()
    try:
        yield {
            "standalone": Database(standalone.get_address(), cluster=False),
            "cluster": Database(cluster.get_address(), cluster=True),
        }
    finally:
        exp.stop(standalone, cluster)


def _emptied(db: Database) -> Database:
    for address in db.addresses:
        with Connection(address, timeout=5.0) as conn:
            conn.execute("FLUSHALL")
    return db


@pytest.fixture
def standalone_db(_session_dbs, monkeypatch):
    """The session's standalone database, emptied; SSDB and SR_DB_TYPE point at it."""
    return _use(_emptied(_session_dbs["standalone"]), monkeypatch)


@pytest.fixture
def cluster_db(_session_dbs, monkeypatch):
    """The session's 3-shard cluster, emptied; SSDB (all shards) and SR_DB_TYPE point at it."""
    return _use(_emptied(_session_dbs["cluster"]), monkeypatch)


@pytest.fixture
def private_standalone_db(tmp_path, monkeypatch):
    """A standalone database of the test's own, for tests that stop or freeze it."""
    db = start_standalone(tmp_path / "standalone")
    yield _use(db, monkeypatch)
    _stop(db.processes)


@pytest.fixture
def private_cluster_db(tmp_path, monkeypatch):
    """A 3-shard cluster of the test's own, for tests that move its slots."""
    db = start_cluster(tmp_path / "cluster")
    yield _use(db, monkeypatch)
    _stop(db.processes)


@pytest.fixture
def uds_db(tmp_path, monkeypatch):
    """A fresh standalone database on a Unix socket only (``unix:///...`` in SSDB)."""
    db = start_standalone(tmp_path / "uds", unix_socket=tmp_path / "redis.sock")
    yield _use(db, monkeypatch)
    _stop(db.processes)


@pytest.fixture(params=["standalone", "cluster"])
def any_db(request):
    """Each test runs against a standalone database and against a cluster."""
    return request.getfixturevalue(f"{request.param}_db")
