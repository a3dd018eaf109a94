"""A colocated database is the model's own: an address someone else holds is a clear error,
never a database silently shared with another model or run against by mistake."""

from __future__ import annotations

import os
import sys

import pytest

from smartredis.wire import Connection
from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.status import SmartSimStatus

WRITER = (
    "import os, sys, time\n"
    "from smartredis.wire.connection import Connection\n"
    "conn = Connection(os.environ['SSDB'])\n"
    "conn.execute('SET', sys.argv[1], '1')\n"
    "time.sleep(float(sys.argv[2]))\n"
    "print(sorted(k.decode() for k in conn.execute('KEYS', '*')))\n"
)


@pytest.fixture
def exp(tmp_path):
    return Experiment("own", exp_path=str(tmp_path))


def _read(model, suffix: str) -> str:
    with open(os.path.join(model.path, f"{model.name}.{suffix}"), encoding="utf-8") as handle:
        return handle.read()


def _colocate(model, mode: str, port: int, socket_path: str) -> None:
    if mode == "tcp":
        model.colocate_db_tcp(port=port)
    else:
        model.colocate_db_uds(unix_socket=socket_path)


@pytest.mark.parametrize("mode", ["tcp", "uds"])
def test_two_models_given_one_address_do_not_share_a_database(exp, tmp_path, mode):
    port, socket_path = find_free_ports(1), str(tmp_path / "shared.sock")
    models = []
    for name in ("first", "second"):
        rs = exp.create_run_settings(sys.executable, exe_args=["-c", WRITER, name, "2"])
        model = exp.create_model(name, rs)
        _colocate(model, mode, port, socket_path)
        models.append(model)
    exp.start(*models, block=True)
    statuses = {m.name: exp.get_status(m)[0] for m in models}
    assert sorted(s.value for s in statuses.values()) == sorted(
        [SmartSimStatus.STATUS_COMPLETED.value, SmartSimStatus.STATUS_FAILED.value]
    ), {m.name: _read(m, "err") for m in models}
    (ran,) = [m for m in models if statuses[m.name] == SmartSimStatus.STATUS_COMPLETED]
    (refused,) = [m for m in models if m is not ran]
    assert _read(ran, "out").strip() == f"[{ran.name!r}]"  # its own database, its key alone
    err = _read(refused, "err")
    assert f"the colocated database of {refused.name}" in err
    assert "give this model its own" in err, err
    assert _read(refused, "out") == ""  # its application never ran


def test_a_model_whose_port_someone_elses_database_holds_fails(exp, tmp_path):
    port = find_free_ports(1)
    (tmp_path / "other").mkdir()
    other = Experiment("other", exp_path=str(tmp_path / "other"))
    db = other.create_database(port=port, interface="lo")
    other.start(db)
    try:
        rs = exp.create_run_settings(sys.executable, exe_args=["-c", WRITER, "intruder", "0"])
        model = exp.create_model("colo", rs)
        model.colocate_db_tcp(port=port)
        exp.start(model, block=True)
        assert exp.get_status(model) == [SmartSimStatus.STATUS_FAILED]
        err = _read(model, "err")
        assert f"port {port} on 127.0.0.1 is already in use" in err, err
        with Connection(f"127.0.0.1:{port}") as conn:
            assert conn.execute("EXISTS", "intruder") == 0
    finally:
        other.stop(db)
