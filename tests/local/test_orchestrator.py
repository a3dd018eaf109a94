"""The Orchestrator with real servers: standalone, cluster, several databases, failures."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

import psutil
import pytest

from smartredis.wire.connection import Connection
from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.database import Orchestrator
from smartsim.error import SmartSimError, SSDBIDConflictError, SSUnsupportedError
from smartsim.status import SmartSimStatus

ENV_DUMP = "import os, sys; print(' '.join(k + '=' + str(os.environ.get(k)) for k in sys.argv[1:]))"


@pytest.fixture
def exp(tmp_path):
    experiment = Experiment("dbexp", exp_path=str(tmp_path), launcher="local")
    yield experiment
    experiment._control.stop_all()


def _env_model(exp, name, keys):
    rs = exp.create_run_settings(sys.executable, exe_args=["-c", ENV_DUMP, *keys])
    return exp.create_model(name, rs)


def _read_env(model) -> dict[str, str]:
    with open(os.path.join(model.path, f"{model.name}.out"), encoding="utf-8") as handle:
        return dict(pair.split("=", 1) for pair in handle.read().split())


def test_standalone_start_env_and_stop(exp, tmp_path):
    port = find_free_ports(1)
    db = exp.create_database(port=port, interface="lo")
    exp.start(db)
    assert db.is_active()
    assert db.get_address() == [f"127.0.0.1:{port}"]
    with Connection(f"127.0.0.1:{port}") as conn:
        assert conn.execute("SET", "k", "v") == "OK"
    model = _env_model(exp, "reader", ["SSDB", "SR_DB_TYPE"])
    exp.start(model)
    assert _read_env(model) == {"SSDB": f"127.0.0.1:{port}", "SR_DB_TYPE": "Standalone"}
    assert os.path.isfile(db.checkpoint_file)
    shard_pid = int(exp._control.jobs()[-1].current.job_id)
    tree = [psutil.Process(shard_pid), *psutil.Process(shard_pid).children(recursive=True)]
    exp.stop(db)
    assert not db.is_active()
    assert exp.get_status(db) == [SmartSimStatus.STATUS_CANCELLED]
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in tree)
    assert not os.path.exists(db.checkpoint_file)
    out_dir = tmp_path / "orchestrator"
    assert (out_dir / "orchestrator_0.out").is_file() and (out_dir / "orchestrator_0.err").is_file()
    summary = exp.summary()
    assert "orchestrator_0" in summary and "DBNode" in summary and "Cancelled" in summary


def test_three_shard_cluster(exp):
    port = find_free_ports(3, cluster=True)
    db = exp.create_database(port=port, db_nodes=3, interface="lo")
    exp.start(db)
    addresses = [f"127.0.0.1:{port + i}" for i in range(3)]
    assert db.get_address() == addresses
    for address in addresses:
        with Connection(address) as conn:
            info = conn.execute("CLUSTER", "INFO").decode()
            assert "cluster_state:ok" in info
            assert "cluster_known_nodes:3" in info
    model = _env_model(exp, "reader", ["SSDB", "SR_DB_TYPE"])
    exp.start(model)
    assert _read_env(model) == {"SSDB": ",".join(addresses), "SR_DB_TYPE": "Clustered"}
    exp.stop(db)
    assert exp.get_status(db) == [SmartSimStatus.STATUS_CANCELLED] * 3


def test_two_shards_are_refused(exp):
    with pytest.raises(SSUnsupportedError, match="size 2"):
        exp.create_database(db_nodes=2)


def test_two_databases_by_identifier(exp):
    first = find_free_ports(1)
    second = find_free_ports(1)
    db_a = exp.create_database(port=first, interface="lo")
    db_b = exp.create_database(port=second, interface="lo", db_identifier="features")
    exp.start(db_a, db_b)
    keys = ["SSDB", "SR_DB_TYPE", "SSDB_features", "SR_DB_TYPE_features"]
    model = _env_model(exp, "reader", keys)
    exp.start(model)
    assert _read_env(model) == {
        "SSDB": f"127.0.0.1:{first}",
        "SR_DB_TYPE": "Standalone",
        "SSDB_features": f"127.0.0.1:{second}",
        "SR_DB_TYPE_features": "Standalone",
    }
    exp.stop(db_a, db_b)
    assert exp.exp_path and os.path.isdir(os.path.join(exp.exp_path, "features"))


def test_port_in_use_fails_before_anything_starts(exp):
    port = find_free_ports(1)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        db = exp.create_database(port=port, interface="lo")
        with pytest.raises(SmartSimError, match=f"Port {port}.*already in use"):
            exp.start(db)
    assert exp.get_status(db) == [SmartSimStatus.STATUS_NEVER_STARTED]
    assert exp._control.running_jobs() == []


def test_restart_on_the_same_port_after_a_client_was_connected(exp):
    """The stopped server's connections linger in TIME_WAIT; the new one binds anyway
    (SO_REUSEADDR), so the driver's port check must not call the port taken."""
    port = find_free_ports(1)
    first = exp.create_database(port=port, interface="lo", db_identifier="first")
    exp.start(first)
    with Connection(f"127.0.0.1:{port}") as conn:
        conn.execute("SET", "k", "v")
        exp.stop(first)
    second = exp.create_database(port=port, interface="lo", db_identifier="second")
    exp.start(second)
    assert exp.get_status(second) == [SmartSimStatus.STATUS_RUNNING]
    exp.stop(second)


def test_missing_interface_falls_back_to_loopback_on_local(exp, caplog):
    port = find_free_ports(1)
    db = exp.create_database(port=port, interface="ib0")
    exp.start(db)
    assert db.get_address() == [f"127.0.0.1:{port}"]
    exp.stop(db)


def test_killed_shard_shows_failed_and_stop_still_cleans_up(exp):
    port = find_free_ports(3, cluster=True)
    db = exp.create_database(port=port, db_nodes=3, interface="lo")
    exp.start(db)
    victim = psutil.Process(int(exp._control.jobs()[0].current.job_id))
    victim.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while exp.get_status(db)[0] != SmartSimStatus.STATUS_FAILED and time.monotonic() < deadline:
        time.sleep(0.01)
    assert exp.get_status(db)[0] == SmartSimStatus.STATUS_FAILED
    exp.stop(db)
    assert exp.get_status(db) == [
        SmartSimStatus.STATUS_FAILED,
        SmartSimStatus.STATUS_CANCELLED,
        SmartSimStatus.STATUS_CANCELLED,
    ]


def test_config_methods_apply_at_start_and_live(exp):
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    db.set_max_memory("100mb")
    db.set_eviction_strategy("allkeys-lru")
    db.set_max_clients(1000)
    exp.start(db)
    with Connection(db.get_address()[0]) as conn:
        assert conn.execute("CONFIG", "GET", "maxmemory")[1] == b"104857600"
        assert conn.execute("CONFIG", "GET", "maxmemory-policy")[1] == b"allkeys-lru"
        assert conn.execute("CONFIG", "GET", "save")[1] == b""
        db.set_max_message_size(2_000_000)
        assert conn.execute("CONFIG", "GET", "proto-max-bulk-len")[1] == b"2000000"
        db.enable_checkpoints(60)
        assert conn.execute("CONFIG", "GET", "save")[1] == b"60 1"
    with pytest.raises(ValueError):
        db.set_eviction_strategy("sometimes")
    exp.stop(db)


@pytest.mark.parametrize("mode", ["tcp", "uds"])
def test_colocated_database(exp, tmp_path, mode):
    script = (
        "import os\n"
        "from smartredis.wire.connection import Connection\n"
        "conn = Connection(os.environ['SSDB'])\n"
        "conn.execute('SET', 'x', '42')\n"
        "print(os.environ['SSDB'], os.environ['SR_DB_TYPE'], conn.execute('GET', 'x').decode())\n"
    )
    rs = exp.create_run_settings(sys.executable, exe_args=["-c", script])
    model = exp.create_model(f"colo_{mode}", rs)
    if mode == "tcp":
        port = find_free_ports(1)
        model.colocate_db_tcp(port=port, ifname="lo")
        expected = f"127.0.0.1:{port}"
    else:
        socket_path = str(tmp_path / "colo.sock")
        model.colocate_db_uds(unix_socket=socket_path)
        expected = f"unix://{socket_path}"
    exp.start(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED], open(
        os.path.join(model.path, f"{model.name}.err")
    ).read()
    with open(os.path.join(model.path, f"{model.name}.out")) as handle:
        assert handle.read().split() == [expected, "Standalone", "42"]


def test_colocated_failing_app_returns_its_code(exp):
    rs = exp.create_run_settings("sh", exe_args=["-c", "exit 7"])
    model = exp.create_model("colo_fail", rs)
    model.colocate_db_tcp(port=find_free_ports(1))
    exp.start(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_FAILED]
    assert exp._control.jobs()[0].current.returncode == 7


def test_colocated_identifier_must_differ_from_standalone(exp):
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    model = exp.create_model("colo", exp.create_run_settings("true"))
    model.colocate_db_tcp(port=find_free_ports(1), db_identifier="orchestrator")
    with pytest.raises(SSDBIDConflictError):
        exp.start(db, model)
    assert exp._control.running_jobs() == []


def test_orchestrator_shape():
    db = Orchestrator(port=6379, db_nodes=3, interface=["lo"], db_identifier="x")
    assert [shard.name for shard in db] == ["x_0", "x_1", "x_2"]
    assert db.num_shards == 3 and db.is_clustered and db.type == "Orchestrator"
    with pytest.raises(SmartSimError):
        db.get_address()
    assert not db.is_active()
    with pytest.raises(ValueError, match="cluster bus"):
        Orchestrator(port=60000, db_nodes=3)
