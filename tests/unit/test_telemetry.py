"""The telemetry switches (SmartSim 0.8's defaults) and how telemetry files are written."""

import json
import os

import pytest

from smartsim import Experiment
from smartsim._core.telemetry import files
from smartsim._core.telemetry.config import FLAG_VARIABLE, telemetry_frequency
from smartsim._core.telemetry.events import LaunchedJob, write_start, write_stop
from smartsim.status import SmartSimStatus


@pytest.fixture(autouse=True)
def _restore_flag(monkeypatch):
    """The switches set SMARTSIM_FLAG_TELEMETRY, as SmartSim's do: put it back after."""
    monkeypatch.delenv(FLAG_VARIABLE, raising=False)


def test_experiment_telemetry_is_on_by_default_and_switches(tmp_path):
    exp = Experiment("t", exp_path=str(tmp_path))
    assert exp.telemetry.is_enabled
    exp.telemetry.disable()
    assert not exp.telemetry.is_enabled
    assert os.environ[FLAG_VARIABLE] == "0"
    exp.telemetry.enable()
    assert exp.telemetry.is_enabled
    assert os.environ[FLAG_VARIABLE] == "1"


def test_the_flag_variable_turns_experiment_telemetry_off(tmp_path, monkeypatch):
    monkeypatch.setenv(FLAG_VARIABLE, "0")
    assert not Experiment("t", exp_path=str(tmp_path)).telemetry.is_enabled


def test_database_telemetry_is_off_by_default(tmp_path):
    db = Experiment("t", exp_path=str(tmp_path)).create_database()
    assert not db.telemetry.is_enabled
    db.telemetry.enable()
    assert db.telemetry.is_enabled
    db.telemetry.disable()
    assert not db.telemetry.is_enabled


def test_sampling_frequency_is_smartsims_default(monkeypatch):
    monkeypatch.delenv("SMARTSIM_TELEMETRY_FREQUENCY", raising=False)
    assert telemetry_frequency() == 5
    monkeypatch.setenv("SMARTSIM_TELEMETRY_FREQUENCY", "1")
    assert telemetry_frequency() == 1


def test_json_files_appear_whole_through_a_hidden_temporary(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    target.write_text('{"old": true}')
    seen = []
    real_replace = os.replace

    def watching_replace(src, dst):
        # At the moment of the rename: the new content is complete in a hidden temporary
        # beside the target, and the target still holds the old file.
        seen.append((os.path.basename(src), json.loads(open(src).read()), target.read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", watching_replace)
    files.write_json(str(target), {"new": list(range(1000))})
    [(name, content, old)] = seen
    assert name.startswith(".manifest.json.") and name.endswith(".tmp")
    assert content == {"new": list(range(1000))} and json.loads(old) == {"old": True}
    assert json.loads(target.read_text()) == {"new": list(range(1000))}
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "manifest.json"
    target.write_text('{"old": true}')
    with pytest.raises(TypeError):
        files.write_json(str(target), {"bad": object()} | {object(): 1})  # unserialisable key
    assert json.loads(target.read_text()) == {"old": True}
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_csv_rows_get_one_header(tmp_path):
    path = str(tmp_path / "d" / "client_count.csv")
    files.append_rows(path, ["timestamp", "num_clients"], [(1, 2)])
    files.append_rows(path, ["timestamp", "num_clients"], [(3, 4), (5, 6)])
    assert open(path).read() == "timestamp,num_clients\n1,2\n3,4\n5,6\n"


def _job(tmp_path, managed: bool) -> LaunchedJob:
    return LaunchedJob(str(tmp_path), "model", "4242", managed, "m.out", "m.err")


def test_status_events_of_a_local_process(tmp_path):
    job = _job(tmp_path, managed=False)
    write_start(job)
    write_stop(job, SmartSimStatus.STATUS_FAILED, 3)
    start = json.loads((tmp_path / "start.json").read_text())
    stop = json.loads((tmp_path / "stop.json").read_text())
    assert {k: start[k] for k in ("job_id", "step_id", "type", "action")} == {
        "job_id": 4242,
        "step_id": "",
        "type": "model",
        "action": "start",
    }
    assert stop["action"] == "stop" and stop["return_code"] == 3
    assert stop["detail"] == "Process 4242 finished with return code: 3"
    assert isinstance(stop["timestamp"], int) and stop["timestamp"] >= start["timestamp"]


def test_status_events_of_a_scheduler_job_map_the_status(tmp_path):
    job = _job(tmp_path, managed=True)
    write_stop(job, SmartSimStatus.STATUS_CANCELLED, 0)
    stop = json.loads((tmp_path / "stop.json").read_text())
    assert stop["job_id"] is None and stop["step_id"] == "4242"
    assert stop["return_code"] == 1 and stop["detail"] == "status: Cancelled"
    write_stop(job, SmartSimStatus.STATUS_COMPLETED, 0)  # never overwritten
    assert json.loads((tmp_path / "stop.json").read_text())["return_code"] == 1
