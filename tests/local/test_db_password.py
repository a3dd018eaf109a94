"""Password-protected databases (``password=True``): strangers are refused, the entities the
driver launches (and the inference workers) get in with the secret from their environment,
and the secret shows on no command line and in no file that others can read."""

from __future__ import annotations

import io
import json
import os
import stat
import sys

import psutil
import pytest

from smartredis.wire import Connection, ReplyError
from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.error import SSUnsupportedError
from smartsim.status import SmartSimStatus

torch = pytest.importorskip("torch")

# Run as a model: our client (SR_DB_PASSWORD from the environment) stores a model and runs it
# in the database's inference worker, then a connection without the password is refused.
APP = """
import io, os, sys
import numpy as np, torch
from smartredis import Client, ConfigOptions
from smartredis.wire import Connection, ReplyError
suffix = sys.argv[1]
client = Client(ConfigOptions.create_from_environment(suffix))
ssdb = os.environ["SSDB_" + suffix if suffix else "SSDB"]
buffer = io.BytesIO()
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buffer)
client.set_model("m", buffer.getvalue(), "TORCH", "CPU")
client.put_tensor("x", np.ones((1, 2), dtype=np.float32))
client.run_model("m", ["x"], ["y"])
print("y", client.get_tensor("y").shape)
try:
    Connection(ssdb.split(",")[0], password="").execute("GET", "x")
except ReplyError as exc:
    print("stranger", str(exc).split()[0])
"""


def _model(exp, name: str, suffix: str):
    rs = exp.create_run_settings(sys.executable, exe_args=["-c", APP, suffix])
    return exp.create_model(name, rs)


def _read(model, suffix: str) -> str:
    with open(os.path.join(model.path, f"{model.name}.{suffix}"), encoding="utf-8") as handle:
        return handle.read()


def _secret_on_a_command_line(secret: str) -> list[str]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if secret in " ".join(proc.info["cmdline"] or []):
            found.append(" ".join(proc.info["cmdline"]))
    return found


@pytest.fixture
def exp(tmp_path):
    return Experiment("pw", exp_path=str(tmp_path))


@pytest.mark.parametrize("shards", [1, 3])
def test_protected_database_refuses_strangers_and_serves_its_entities(exp, tmp_path, shards):
    db = exp.create_database(
        port=find_free_ports(shards, cluster=shards > 1),
        interface="lo",
        db_nodes=shards,
        password=True,
        db_identifier="safe",
    )
    exp.start(db)
    try:
        secret = db.password
        assert secret and len(secret) >= 32
        address = db.get_address()[0]
        with pytest.raises(ReplyError, match="NOAUTH"):
            Connection(address, password="").execute("PING")
        with pytest.raises(ReplyError, match="WRONGPASS"):
            Connection(address, password="guess").execute("PING")
        with Connection(address, password=secret) as conn:
            assert conn.execute("PING") == "PONG"
        db.set_max_memory("100mb")  # the driver's live configuration authenticates too

        model = _model(exp, "app", "safe")
        exp.start(model, block=True)
        assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED], _read(model, "err")
        assert _read(model, "out").split() == ["y", "(1,", "2)", "stranger", "NOAUTH"]
        assert not _secret_on_a_command_line(secret)

        # the checkpoint holds the secret for a later driver, and only its owner reads it
        mode = stat.S_IMODE(os.stat(db.checkpoint_file).st_mode)
        assert mode == 0o600
        with open(db.checkpoint_file, encoding="utf-8") as handle:
            assert json.load(handle)["password"] == secret
        (tmp_path / "later").mkdir()
        later = Experiment("later", exp_path=str(tmp_path / "later"))
        again = later.reconnect_orchestrator(db.checkpoint_file)
        assert again.is_active() and again.password == secret
    finally:
        exp.stop(db)


def test_colocated_database_with_a_password(exp):
    model = _model(exp, "colo", "")
    model.colocate_db_tcp(port=find_free_ports(1), password=True)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buffer)
    model.add_ml_model("preloaded", "TORCH", model=buffer.getvalue())  # stored with the secret
    exp.start(model, block=True)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED], _read(model, "err")
    assert _read(model, "out").split() == ["y", "(1,", "2)", "stranger", "NOAUTH"]
    log = os.path.join(model.path, "colo-colocated-db.log")
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600


@pytest.mark.parametrize("launcher", ["slurm", "dragon"])
def test_launches_that_would_show_the_secret_are_refused(tmp_path, launcher):
    exp = Experiment("pw", exp_path=str(tmp_path), launcher=launcher)
    db = exp.create_database(port=find_free_ports(1), interface="lo", password=True)
    entities = [db]
    if launcher == "slurm":  # a batch script would hold it
        batch = exp.create_batch_settings(nodes=1)
        entities.append(
            exp.create_model("job", exp.create_run_settings("true"), batch_settings=batch)
        )
        expected = "job runs as a batch job"
    else:  # the runtime gets a process's variables on its command line
        expected = "dragon launcher puts environment variables on command lines"
    with pytest.raises(SSUnsupportedError, match=expected):
        exp.start(*entities)
    assert exp._control.running_jobs() == []
