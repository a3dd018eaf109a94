"""Client construction, Unix sockets, retries and failures, node commands, cluster routing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time

import numpy as np
import pytest

from smartredis import Client, ConfigOptions, Dataset
from smartredis.error import (
    RedisConnectionError,
    RedisReplyError,
    RedisRuntimeError,
    RedisTimeoutError,
)
from smartredis.logger import _LOGGER
from smartredis.wire.connection import Connection
from smartredis.wire.slots import hash_slot
from smartsim._core.utils.network import find_free_port

from .conftest import _start_server, _stop


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    """SmartRedis log lines go to a file for the test (level info)."""
    path = tmp_path / "smartredis.log"
    monkeypatch.setenv("SR_LOG_FILE", str(path))
    monkeypatch.setenv("SR_LOG_LEVEL", "INFO")
    _LOGGER.reset()
    yield path
    _LOGGER.reset()


def _fast_retries(monkeypatch, seconds: int = 1) -> None:
    monkeypatch.setenv("SR_CONN_TIMEOUT", str(seconds))
    monkeypatch.setenv("SR_CONN_INTERVAL", "50")
    monkeypatch.setenv("SR_CMD_TIMEOUT", str(seconds))
    monkeypatch.setenv("SR_CMD_INTERVAL", "50")


def _round_trip(client: Client) -> None:
    client.put_tensor("ping", np.arange(3.0))
    np.testing.assert_array_equal(client.get_tensor("ping"), np.arange(3.0))


# -- construction --------------------------------------------------------------------------
def test_constructor_forms(standalone_db, monkeypatch):
    address = standalone_db.addresses[0]
    _round_trip(Client(False, address))
    _round_trip(Client(cluster=False, address=address, logger_name="legacy"))
    _round_trip(Client(cluster=None, address=address))  # type from SR_DB_TYPE
    _round_trip(Client(None))
    _round_trip(Client(None, "named"))
    _round_trip(Client(ConfigOptions.create_from_environment(""), logger_name="opts"))
    _round_trip(Client(logger_name="kw"))
    monkeypatch.setenv("SSDB", "127.0.0.1:1")
    _round_trip(Client(False, address))  # an explicit address wins over SSDB


def test_constructor_argument_errors(standalone_db):
    with pytest.raises(TypeError, match="Invalid type for argument 0"):
        Client(3)
    with pytest.raises(TypeError):
        Client(False, standalone_db.addresses[0], "name", "extra")
    with pytest.raises(TypeError):
        Client(ConfigOptions.create_from_environment(""), unknown=1)
    with pytest.raises(RedisRuntimeError, match="factory"):
        Client(ConfigOptions())
    with pytest.raises(
        TypeError, match="^__init__\\(\\) got an unexpected keyword argument 'nodes'$"
    ):
        Client(False, address=standalone_db.addresses[0], nodes=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'nodes'"):
        Client(cluster=False, nodes=3)
    with pytest.raises(TypeError, match="cluster"):  # as SmartRedis: the form needs cluster
        Client(address=standalone_db.addresses[0])


def test_address_form_sets_ssdb_as_smartredis_does(standalone_db, monkeypatch):
    address = standalone_db.addresses[0]
    monkeypatch.delenv("SSDB")
    with pytest.raises(
        RedisConnectionError, match=r"^Could not connect to database. \$SSDB not set"
    ):
        Client(False)
    _round_trip(Client(False, address))
    assert os.environ["SSDB"] == address  # what a later Client() connects to
    _round_trip(Client())
    _round_trip(Client(False, ""))  # an empty address leaves SSDB as it is


def test_legacy_cluster_form_discovers_every_shard(cluster_db):
    client = Client(True, cluster_db.addresses[1])
    assert client.is_cluster()
    assert sorted(str(a) for a in client._server.nodes) == sorted(cluster_db.addresses)


def test_db_type_defaults_to_cluster_but_accepts_a_standalone_server(standalone_db, monkeypatch):
    monkeypatch.delenv("SR_DB_TYPE")
    client = Client()
    assert not client.is_cluster()
    _round_trip(client)


def test_explicit_cluster_type_against_a_standalone_server(standalone_db, monkeypatch):
    monkeypatch.setenv("SR_DB_TYPE", "Clustered")
    with pytest.raises(RedisConnectionError, match="cluster support disabled"):
        Client()


def test_unix_socket(uds_db):
    client = Client()
    _round_trip(client)
    assert "Protocol: Unix Domain Socket" in str(client)
    info = client.get_db_node_info(uds_db.addresses)
    assert "Server" in info[0]


def test_str_describes_the_connection(standalone_db):
    text = str(Client(logger_name="described"))
    assert text.startswith("Client (described):")
    assert standalone_db.addresses[0] in text and "Protocol: TCP" in text


# -- addresses and retries -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("ssdb", "match"),
    [
        ("", "SSDB must be set"),
        ("localhost", "'localhost'"),
        ("127.0.0.1:99999", "99999"),
        ("no-such-host.invalid:6379", "no-such-host.invalid"),
    ],
)
def test_bad_addresses_fail_at_once(monkeypatch, ssdb, match):
    monkeypatch.setenv("SSDB", ssdb)
    monkeypatch.setenv("SR_DB_TYPE", "Standalone")
    monkeypatch.setenv("SR_CONN_TIMEOUT", "30")
    start = time.monotonic()
    with pytest.raises(RedisConnectionError, match=match):
        Client()
    assert time.monotonic() - start < 10


def test_refused_connection_is_retried_then_reported(monkeypatch, log_file):
    address = f"127.0.0.1:{find_free_port()}"
    monkeypatch.setenv("SSDB", address)
    monkeypatch.setenv("SR_DB_TYPE", "Standalone")
    _fast_retries(monkeypatch, seconds=1)
    start = time.monotonic()
    with pytest.raises(RedisConnectionError, match=f"{address} within 1 s"):
        Client()
    assert 0.9 < time.monotonic() - start < 5
    assert f"Waiting for the database at {address}" in log_file.read_text()


def test_a_database_that_starts_late_is_waited_for(tmp_path, monkeypatch, log_file):
    port = find_free_port()
    monkeypatch.setenv("SSDB", f"127.0.0.1:{port}")
    monkeypatch.setenv("SR_DB_TYPE", "Standalone")
    _fast_retries(monkeypatch, seconds=20)
    servers: list[subprocess.Popen] = []
    args = ["--port", str(port), "--bind", "127.0.0.1"]
    timer = threading.Timer(0.5, lambda: servers.append(_start_server(tmp_path / "late", args)))
    timer.start()
    try:
        _round_trip(Client())
    finally:
        timer.join()
        _stop(servers)
    assert f"Waiting for the database at 127.0.0.1:{port}" in log_file.read_text()


def test_a_dead_server_gives_a_connection_error(private_standalone_db, monkeypatch):
    _fast_retries(monkeypatch, seconds=1)
    client = Client()
    _round_trip(client)
    _stop(private_standalone_db.processes)
    start = time.monotonic()
    with pytest.raises(RedisConnectionError, match="could not reconnect within 1 s"):
        client.get_tensor("ping")
    assert time.monotonic() - start < 5


def test_a_restarted_server_is_reconnected(private_standalone_db, tmp_path, monkeypatch, log_file):
    _fast_retries(monkeypatch, seconds=20)
    client = Client()
    _round_trip(client)
    _stop(private_standalone_db.processes)
    port = private_standalone_db.addresses[0].rsplit(":", 1)[1]
    args = ["--port", port, "--bind", "127.0.0.1"]
    timer = threading.Timer(
        0.3, lambda: private_standalone_db.processes.append(_start_server(tmp_path / "again", args))
    )
    timer.start()
    try:
        _round_trip(client)
    finally:
        timer.join()
    assert "Lost the connection to the database" in log_file.read_text()


def test_a_stalled_server_gives_a_timeout(private_standalone_db, monkeypatch):
    _fast_retries(monkeypatch, seconds=1)
    client = Client()
    _round_trip(client)
    server = private_standalone_db.processes[0]
    server.send_signal(signal.SIGSTOP)
    try:
        start = time.monotonic()
        with pytest.raises(RedisTimeoutError, match="did not answer GET within 1 s"):
            client.get_tensor("ping")
        assert time.monotonic() - start < 5
    finally:
        server.send_signal(signal.SIGCONT)
    _round_trip(client)


def _shut(sock: socket.socket) -> None:
    """End both directions of ``sock`` (the peer sees the close); already closed is fine."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _ReplyLoser:
    """A TCP relay to a server that, once armed with a word, passes on the next command
    holding it and then closes the client's side instead of passing on the reply: the
    command ran, its reply is lost. Later connections are relayed as they are."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.word: bytes | None = None
        self._sockets: list[socket.socket] = [self._listener]
        self._threads = [threading.Thread(target=self._accept)]
        self._threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self._target)
            self._sockets += [client, server]
            losing = threading.Event()
            for pump in (self._up, self._down):
                thread = threading.Thread(target=pump, args=(client, server, losing))
                self._threads.append(thread)
                thread.start()

    def _up(self, client: socket.socket, server: socket.socket, losing: threading.Event) -> None:
        try:
            while data := client.recv(1 << 16):
                if self.word is not None and self.word in data:
                    self.word = None
                    losing.set()
                server.sendall(data)
        except OSError:
            pass

    def _down(self, client: socket.socket, server: socket.socket, losing: threading.Event) -> None:
        try:
            while (data := server.recv(1 << 16)) and not losing.is_set():
                client.sendall(data)
        except OSError:
            pass
        _shut(client)
        _shut(server)

    def close(self) -> None:
        """Stop relaying and wait for every relay thread."""
        for sock in self._sockets:
            _shut(sock)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=10)


@pytest.fixture
def reply_loser(standalone_db, monkeypatch):
    """A _ReplyLoser in front of the standalone database; SSDB points at it."""
    relay = _ReplyLoser(standalone_db.addresses[0])
    monkeypatch.setenv("SSDB", relay.address)
    yield relay
    relay.close()


def test_a_command_that_is_not_repeatable_is_not_resent_after_a_lost_reply(
    reply_loser, monkeypatch
):
    _fast_retries(monkeypatch, seconds=5)
    client = Client()
    ds = Dataset("ds")
    ds.add_meta_scalar("step", 1)
    client.put_dataset(ds)
    reply_loser.word = b"RPUSH"
    with pytest.raises(RedisConnectionError, match="after sending RPUSH .*it may have run"):
        client.append_to_list("agg", ds)
    assert client.get_list_length("agg") == 1  # appended once, not twice
    reply_loser.word = b"SET"  # a repeatable command is sent again without a word
    client.put_tensor("t", np.arange(3))
    np.testing.assert_array_equal(client.get_tensor("t"), np.arange(3))
    reply_loser.word = b"RENAME"
    with pytest.raises(RedisConnectionError, match="after sending RENAME"):
        client.rename_tensor("t", "u")
    np.testing.assert_array_equal(client.get_tensor("u"), np.arange(3))


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(
    private_standalone_db,
):
    client = Client()
    ds = Dataset("ds")
    ds.add_meta_scalar("step", 1)
    client.put_dataset(ds)
    client.append_to_list("agg", ds)
    with Connection(private_standalone_db.addresses[0]) as conn:
        assert conn.execute("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes") == 1
    time.sleep(0.2)  # the close reaches the client's socket
    client.append_to_list("agg", ds)  # nothing was sent on the dead connection: no error
    assert client.get_list_length("agg") == 2


# -- node commands -------------------------------------------------------------------------
def test_node_commands(standalone_db):
    client = Client()
    address = standalone_db.addresses[0]
    info = client.get_db_node_info([address])
    assert len(info) == 1 and "Server" in info[0] and "tcp_port" in info[0]["Server"]
    assert client.config_get("maxmemory-policy", address) == {"maxmemory-policy": "noeviction"}
    client.config_set("maxmemory-policy", "allkeys-lru", address)
    assert client.config_get("maxmemory-policy", address)["maxmemory-policy"] == "allkeys-lru"
    assert client.config_get("no-such-setting", address) == {}
    client.put_tensor("t", np.ones(1))
    client.save([address])
    client.flush_db([address])
    assert not client.tensor_exists("t")
    with pytest.raises(RedisRuntimeError, match="Cannot run on non-cluster environment"):
        client.get_db_cluster_info([address])
    with pytest.raises(RedisRuntimeError, match="not a node of this database"):
        client.flush_db(["127.0.0.1:1"])
    with pytest.raises(RedisReplyError, match="CONFIG"):
        client.config_set("no-such-setting", "1", address)
    with pytest.raises(TypeError):
        client.flush_db(address)


def test_node_commands_in_a_cluster(cluster_db):
    client = Client()
    infos = client.get_db_cluster_info(cluster_db.addresses)
    assert [i["cluster_state"] for i in infos] == ["ok"] * 3
    nodes = client.get_db_node_info(cluster_db.addresses)
    assert all(n["Cluster"]["cluster_enabled"] == "1" for n in nodes)


# -- cluster routing -----------------------------------------------------------------------
def test_keys_spread_over_shards(cluster_db):
    client = Client()
    for i in range(60):
        client.put_tensor(f"key_{i}", np.full(1, i))
    counts = []
    for address in cluster_db.addresses:
        with Connection(address) as conn:
            counts.append(conn.execute("DBSIZE"))
    assert sum(counts) == 60 and all(counts)
    for i in range(60):
        assert client.get_tensor(f"key_{i}")[0] == i


def _node_ids(addresses: list[str]) -> dict[str, str]:
    ids = {}
    for address in addresses:
        with Connection(address) as conn:
            ids[address] = bytes(conn.execute("CLUSTER", "MYID")).decode()
    return ids


def _owner(addresses: list[str], slot: int) -> str:
    with Connection(addresses[0]) as conn:
        for start, end, primary, *_ in conn.execute("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return f"{bytes(primary[0]).decode()}:{primary[1]}"
    raise AssertionError(slot)


def test_moved_slots_are_followed(private_cluster_db):
    client = Client()
    _round_trip(client)  # the client has its slot map now
    key = "wanderer"
    slot = hash_slot(key)
    old = _owner(private_cluster_db.addresses, slot)
    new = next(a for a in private_cluster_db.addresses if a != old)
    ids = _node_ids(private_cluster_db.addresses)
    for address in private_cluster_db.addresses:
        with Connection(address) as conn:
            conn.execute("CLUSTER", "SETSLOT", slot, "NODE", ids[new])
    client.put_tensor(key, np.arange(4))
    with Connection(new) as conn:
        assert conn.execute("EXISTS", key) == 1
    np.testing.assert_array_equal(client.get_tensor(key), np.arange(4))


def test_ask_redirects_during_a_migration(private_cluster_db):
    client = Client()
    _round_trip(client)
    key = "migrant"
    slot = hash_slot(key)
    source = _owner(private_cluster_db.addresses, slot)
    target = next(a for a in private_cluster_db.addresses if a != source)
    ids = _node_ids(private_cluster_db.addresses)
    with Connection(target) as conn:
        conn.execute("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[source])
    with Connection(source) as conn:
        conn.execute("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[target])
    client.put_tensor(key, np.arange(5))  # absent at the source: ASK sends it to the target
    with Connection(target) as conn:
        conn.execute("ASKING")
        assert conn.execute("EXISTS", key) == 1
    np.testing.assert_array_equal(client.get_tensor(key), np.arange(5))
