"""generate() removes nothing outside the experiment, nothing without overwrite=True, and
never the directory of a running entity; names cannot reach outside the experiment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartsim import Experiment
from smartsim._core.teardown import teardown
from smartsim._core.utils.network import find_free_ports
from smartsim.error import SmartSimError

BAD_NAMES = ["../victim", "a/b", "..", ".", "a\\b", "x\ny", "tab\tname", "nul\x00", ""]

LEAVE_DB_RUNNING = """
import sys
from smartsim import Experiment
exp = Experiment("left", exp_path=sys.argv[1])
db = exp.create_database(port=int(sys.argv[2]), interface="lo")
exp.generate(db)
exp.start(db)
"""


@pytest.fixture
def exp_dir(tmp_path: Path) -> Path:
    path = tmp_path / "exp"
    path.mkdir()
    return path


@pytest.fixture
def exp(exp_dir: Path):
    experiment = Experiment("safety", exp_path=str(exp_dir), launcher="local")
    yield experiment
    experiment._control.stop_all()


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    victim.mkdir(exist_ok=True)
    (victim / "precious.txt").write_text("keep me")
    return victim


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_that_are_not_plain_directory_names_are_refused(exp, name: str) -> None:
    settings = exp.create_run_settings("true")
    with pytest.raises((ValueError, AttributeError)):
        exp.create_model(name, settings)
    with pytest.raises((ValueError, AttributeError)):
        exp.create_ensemble(name, run_settings=settings, replicas=1)
    with pytest.raises(ValueError):
        exp.create_database(port=find_free_ports(1), db_identifier=name)


def test_refusal_names_the_rule(exp) -> None:
    with pytest.raises(ValueError, match=r"'\.\./victim' is not allowed.*'/'"):
        exp.create_model("../victim", exp.create_run_settings("true"))
    with pytest.raises(ValueError, match="control characters"):
        exp.create_model("x\ny", exp.create_run_settings("true"))


def test_renamed_model_cannot_wipe_a_sibling_directory(exp, tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    model = exp.create_model("m", exp.create_run_settings("true"))
    model.name = "../victim"
    model.path = os.path.join(exp.exp_path, model.name)  # as create_model would have made it
    with pytest.raises(ValueError, match="not allowed"):
        exp.generate(model, overwrite=True)
    assert (victim / "precious.txt").read_text() == "keep me"


def test_overwrite_removes_nothing_outside_the_experiment(exp, tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    model = exp.create_model("m", exp.create_run_settings("true"), path=str(victim))
    exp.generate(model, overwrite=True)  # generated into <exp_path>/m, as SmartSim does
    assert (victim / "precious.txt").read_text() == "keep me"
    assert model.path == os.path.join(exp.exp_path, "m")
    os.rmdir(model.path)
    os.symlink(victim, model.path)  # a link in the experiment is removed, never followed
    exp.generate(model, overwrite=True)
    assert (victim / "precious.txt").read_text() == "keep me"
    assert os.path.isdir(model.path) and not os.path.islink(model.path)


def test_database_directory_is_in_the_experiment_and_a_given_path_is_left_alone(
    exp, tmp_path: Path
) -> None:
    mine = _victim(tmp_path)
    db = exp.create_database(port=find_free_ports(1), path=str(mine), interface="lo")
    exp.generate(db)
    assert (mine / "precious.txt").read_text() == "keep me"
    expected = os.path.join(exp.exp_path, "orchestrator")
    assert db.path == expected and all(shard.path == expected for shard in db.entities)
    exp.generate(db, overwrite=True)
    assert (mine / "precious.txt").read_text() == "keep me"


def test_database_directory_is_emptied_only_with_overwrite(exp, exp_dir: Path) -> None:
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    exp.generate(db)
    notes = exp_dir / "orchestrator" / "notes.txt"
    notes.write_text("mine")
    exp.generate(db)
    assert notes.read_text() == "mine"
    exp.generate(db, overwrite=True)
    assert not notes.exists()


def test_running_database_and_model_directories_are_never_removed(exp, exp_dir: Path) -> None:
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    model = exp.create_model("sleeper", exp.create_run_settings("sleep", exe_args="60"))
    exp.generate(db, model)
    exp.start(db)
    exp.start(model, block=False)

    for entity in (db, model):
        with pytest.raises(SmartSimError, match="is running"):
            exp.generate(entity, overwrite=True)
        with pytest.raises(SmartSimError, match="is running"):
            exp.generate(entity)
    twin = exp.create_database(port=find_free_ports(1), db_identifier="orchestrator_twin")
    twin.name = "orchestrator"  # another object for the same directory
    with pytest.raises(SmartSimError, match="orchestrator_0 is running"):
        exp.generate(twin, overwrite=True)

    assert os.path.isfile(db.checkpoint_file) and db.is_active()
    assert os.path.isfile(exp_dir / "sleeper" / "sleeper.out")
    exp.stop(db, model)
    exp.generate(db, model, overwrite=True)  # stopped: may be replaced now
    assert not os.path.exists(db.checkpoint_file)


def test_database_an_earlier_driver_left_running_keeps_its_directory(exp_dir: Path) -> None:
    port = find_free_ports(1)
    done = subprocess.run(
        [sys.executable, "-c", LEAVE_DB_RUNNING, str(exp_dir), str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    checkpoint = exp_dir / "orchestrator" / "smartsim_db.dat"
    try:
        later = Experiment("later", exp_path=str(exp_dir))
        db = later.create_database(port=find_free_ports(1), interface="lo")
        with pytest.raises(SmartSimError, match=r"orchestrator_0 \(pid \d+\) is running"):
            later.generate(db, overwrite=True)
        # Without the job record (e.g. shards on other hosts), the live checkpoint tells.
        record = exp_dir / ".smartsim" / "jobs.jsonl"
        record.rename(record.with_suffix(".away"))
        try:
            with pytest.raises(SmartSimError, match="database orchestrator is running"):
                later.generate(db, overwrite=True)
        finally:
            record.with_suffix(".away").rename(record)
        assert checkpoint.is_file()
        again = Experiment("again", exp_path=str(exp_dir)).reconnect_orchestrator(str(checkpoint))
        assert again.is_active()
    finally:
        teardown(str(exp_dir))
