"""The telemetry files of a real experiment, checked against what SmartDashboard requires.

The field lists below are the facts of SmartDashboard's pydantic schemas
(``smartdashboard/schemas/*.py``, the versions reading manifest 0.0.4), taken at their
strictest: every field some version requires, with its type. Its status reader needs
``telemetry_metadata.status_dir`` and, in ``stop.json``, ``return_code``.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from smartsim import Experiment
from smartsim._core.telemetry.config import FLAG_VARIABLE
from smartsim._core.utils.network import find_free_ports
from smartsim.status import SmartSimStatus

NONE = type(None)

EXPERIMENT = {"name": str, "path": str, "launcher": str, "out_file": str, "err_file": str}
RUN = {"run_id": str, "timestamp": int, "model": list, "orchestrator": list, "ensemble": list}
APPLICATION = {  # schemas/application.py (+ base.py: HasName, HasTelemetryMetaData, HasOutErrFiles)
    "name": str,
    "telemetry_metadata": dict,
    "out_file": str,
    "err_file": str,
    "path": str,
    "exe_args": list,
    "run_settings": dict,
    "batch_settings": dict,
    "params": dict,
    "files": dict,
    "colocated_db": dict,
}
FILES = {"Symlink": list, "Configure": list, "Copy": list}  # schemas/files.py
ENSEMBLE = {"name": str, "params": dict, "batch_settings": dict, "models": list}
ORCHESTRATOR = {"name": str, "type": str, "interface": (str, list), "shards": list}
SHARD = {  # schemas/shard.py
    "name": str,
    "telemetry_metadata": dict,
    "out_file": str,
    "err_file": str,
    "hostname": str,
    "port": int,
    "conf_file": (str, NONE),
    "memory_file": str,
    "client_file": str,
    "client_count_file": str,
}
TELEMETRY_METADATA = {"status_dir": str, "step_id": (str, NONE), "task_id": (str, NONE),
                      "managed": bool}  # fmt: skip
EVENT = {"timestamp": int, "job_id": (int, NONE), "step_id": str, "type": str, "action": str,
         "detail": str}  # fmt: skip


def conforms(data: dict, schema: dict, what: str) -> None:
    """Every field of ``schema`` is in ``data`` with its type."""
    for field, kind in schema.items():
        assert field in data, f"{what}: no {field!r}"
        assert isinstance(data[field], kind), f"{what}.{field}: {data[field]!r} is not {kind}"


def check_application(app: dict) -> None:
    conforms(app, APPLICATION, f"model {app.get('name')}")
    conforms(app["files"], FILES, f"model {app['name']} files")
    conforms(app["telemetry_metadata"], TELEMETRY_METADATA, f"model {app['name']} metadata")


def event(status_dir: str, name: str) -> dict:
    with open(os.path.join(status_dir, name), encoding="utf-8") as handle:
        data = json.load(handle)
    conforms(data, EVENT, f"{status_dir}/{name}")
    return data


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture(autouse=True)
def _telemetry_env(monkeypatch):
    monkeypatch.delenv(FLAG_VARIABLE, raising=False)  # on by default; disable() sets it
    monkeypatch.setenv("SMARTSIM_TELEMETRY_FREQUENCY", "1")


def test_models_ensemble_failed_job_and_sharded_database(tmp_path):
    exp = Experiment("telemetry", exp_path=str(tmp_path))
    db = exp.create_database(port=find_free_ports(3, cluster=True), db_nodes=3, interface="lo")
    db.telemetry.enable()
    good = exp.create_model("good", exp.create_run_settings("echo", ["hello"]))
    bad = exp.create_model("bad", exp.create_run_settings("sh", ["-c", "exit 1"]))
    ens = exp.create_ensemble("ens", replicas=2, run_settings=exp.create_run_settings("true"))
    exp.generate(db, good, bad, ens)
    exp.start(db)
    try:
        exp.start(good, bad, ens, block=True)
        assert exp.get_status(bad) == [SmartSimStatus.STATUS_FAILED]
        telemetry = tmp_path / ".smartsim" / "telemetry"
        manifest = json.loads((telemetry / "manifest.json").read_text())
        shards = manifest["runs"][0]["orchestrator"][0]["shards"]
        wait_for(lambda: all(_rows(s["client_count_file"]) >= 2 for s in shards))
    finally:
        exp.stop(db)

    assert manifest["schema info"] == {"schema_name": "entity manifest", "version": "0.0.4"}
    conforms(manifest["experiment"], EXPERIMENT, "experiment")
    assert manifest["experiment"]["launcher"] == "Local"
    db_run, entity_run = manifest["runs"]
    for run in manifest["runs"]:
        conforms(run, RUN, "run")
    assert [m["name"] for m in entity_run["model"]] == ["good", "bad"]
    for app in entity_run["model"]:
        check_application(app)
        start = event(app["telemetry_metadata"]["status_dir"], "start.json")
        stop = event(app["telemetry_metadata"]["status_dir"], "stop.json")
        assert start["action"] == "start" and stop["action"] == "stop"
        assert start["type"] == "model" and start["job_id"] == int(
            app["telemetry_metadata"]["task_id"]
        )
        assert stop["return_code"] == (1 if app["name"] == "bad" else 0)
    [ensemble] = entity_run["ensemble"]
    conforms(ensemble, ENSEMBLE, "ensemble")
    assert [m["name"] for m in ensemble["models"]] == ["ens_0", "ens_1"]
    for member in ensemble["models"]:
        check_application(member)
        assert event(member["telemetry_metadata"]["status_dir"], "stop.json")["return_code"] == 0

    [orc] = db_run["orchestrator"]
    conforms(orc, ORCHESTRATOR, "orchestrator")
    assert len(orc["shards"]) == 3
    for shard in orc["shards"]:
        conforms(shard, SHARD, f"shard {shard['name']}")
        conforms(shard["telemetry_metadata"], TELEMETRY_METADATA, "shard metadata")
        assert shard["conf_file"] == f"nodes-{shard['name']}-{shard['port']}.conf"
        status_dir = shard["telemetry_metadata"]["status_dir"]
        assert event(status_dir, "start.json")["type"] == "dbnode"
        assert "return_code" in event(status_dir, "stop.json")  # stopped: a stop event
        memory = _table(shard["memory_file"])
        assert memory[0] == ["timestamp", "used_memory", "used_memory_peak", "total_system_memory"]
        assert all(float(value) > 0 for row in memory[1:] for value in row)
        clients = _table(shard["client_file"])
        assert clients[0] == ["timestamp", "client_id", "address"] and len(clients) > 1
        counts = _table(shard["client_count_file"])
        assert counts[0] == ["timestamp", "num_clients"]
        assert all(int(row[1]) >= 1 for row in counts[1:])  # (the sampler's own connection)

    # Whole files only: every JSON file parses, no temporary is left behind.
    for path in glob.glob(str(telemetry / "**" / "*"), recursive=True):
        assert not os.path.basename(path).startswith("."), path
        if path.endswith(".json"):
            json.loads(open(path).read())
    # The database's sampler ended with it.
    assert not [t for t in threading.enumerate() if t.name.startswith("smartsim-telemetry")]


def _table(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _rows(path: str) -> int:
    try:
        return len(_table(path)) - 1
    except OSError:
        return 0


def test_disabled_telemetry_writes_nothing(tmp_path):
    exp = Experiment("quiet", exp_path=str(tmp_path))
    exp.telemetry.disable()
    model = exp.create_model("m", exp.create_run_settings("true"))
    exp.start(model, block=True)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED]
    assert not (tmp_path / ".smartsim" / "telemetry").exists()


DRIVER = """
import sys, threading, time
from smartsim import Experiment
exp = Experiment("short", exp_path=sys.argv[1])
db = exp.create_database(port=int(sys.argv[2]), interface="lo")
db.telemetry.enable()
exp.start(db)
exp.start(exp.create_model("m", exp.create_run_settings("true")), block=True)
time.sleep(1.5)
exp.stop(db)
print("THREADS", [t.name for t in threading.enumerate()], flush=True)
"""


def test_nothing_outlives_the_driver_and_its_jobs(tmp_path):
    driver = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(DRIVER), str(tmp_path), str(find_free_ports(1))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = driver.communicate(timeout=90)
    assert driver.returncode == 0, err
    threads = out.split("THREADS", 1)[1]
    assert "smartsim-telemetry" not in threads  # the sampler ended with the database
    memory = glob.glob(str(tmp_path / ".smartsim/telemetry/short/*/database/*/*/memory.csv"))
    assert memory and _rows(memory[0]) >= 1
    # The driver is gone and left no process behind (the suite's leak check also looks):
    # unlike SmartSim's monitor, nothing keeps writing once it exited.
    sizes = {path: os.path.getsize(path) for path in memory}
    time.sleep(1.5)
    assert sizes == {path: os.path.getsize(path) for path in memory}
