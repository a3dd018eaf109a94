"""The local launcher end to end: real child processes, their files, statuses and stopping."""

from __future__ import annotations

import os
import sys
import time

import psutil
import pytest

from smartsim import Experiment
from smartsim.error import ExecutableNotFoundError, SmartSimError, SSUnsupportedError
from smartsim.status import SmartSimStatus


@pytest.fixture
def exp(tmp_path):
    experiment = Experiment("exp", exp_path=str(tmp_path), launcher="local")
    yield experiment
    experiment._control.stop_all()


def _read(path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _wait_for_file(path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and _read(path).strip():
            return _read(path)
        time.sleep(0.01)
    raise AssertionError(f"{path} was not written within {timeout} s")


def test_model_output_status_and_cwd(exp, tmp_path):
    rs = exp.create_run_settings("sh", exe_args=["-c", "echo out; echo err >&2; pwd"])
    model = exp.create_model("m", rs)
    exp.start(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED]
    assert exp.finished(model)
    model_dir = tmp_path / "m"
    assert _read(model_dir / "m.out").splitlines() == ["out", str(model_dir)]
    assert _read(model_dir / "m.err") == "err\n"


def test_failing_executable_is_failed_with_its_code(exp):
    model = exp.create_model("bad", exp.create_run_settings("sh", exe_args=["-c", "exit 3"]))
    exp.start(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_FAILED]
    job = exp._control.jobs()[0]
    assert job.current.returncode == 3


def test_killed_by_signal_is_failed(exp):
    model = exp.create_model("sig", exp.create_run_settings("sh", exe_args=["-c", "kill -9 $$"]))
    exp.start(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_FAILED]
    assert exp._control.jobs()[0].current.returncode == -9


def test_environment_from_settings_and_key_prefix(exp, tmp_path, monkeypatch):
    monkeypatch.setenv("FROM_DRIVER", "driver-value")
    rs = exp.create_run_settings(
        sys.executable,
        exe_args=[
            "-c",
            "import os; print(os.environ['A'], os.environ['FROM_DRIVER'], "
            "os.environ.get('SSKEYOUT'), os.environ.get('SSKEYIN'))",
        ],
        env_vars={"A": "1", "FROM_DRIVER": None},
    )
    producer = exp.create_model("producer", rs, enable_key_prefixing=True)
    consumer = exp.create_model("consumer", rs)
    consumer.register_incoming_entity(producer)
    exp.start(producer, consumer)
    assert _read(tmp_path / "producer" / "producer.out").split() == [
        "1",
        "driver-value",
        "producer",
        "None",
    ]
    assert _read(tmp_path / "consumer" / "consumer.out").split() == [
        "1",
        "driver-value",
        "None",
        "producer",
    ]


def test_missing_executable_is_a_clear_error(exp):
    with pytest.raises(ExecutableNotFoundError, match="no-such-program-xyz"):
        exp.create_run_settings("no-such-program-xyz")
    with pytest.raises(FileNotFoundError):
        exp.create_run_settings("./no/such/path")


def test_ensemble_members_run_in_their_directories(exp, tmp_path):
    rs = exp.create_run_settings("sh", exe_args=["-c", "echo $SSKEYOUT"])
    ens = exp.create_ensemble("ens", run_settings=rs, replicas=3)
    exp.start(ens)
    assert exp.get_status(ens) == [SmartSimStatus.STATUS_COMPLETED] * 3
    for i in range(3):
        assert _read(tmp_path / "ens" / f"ens_{i}" / f"ens_{i}.out") == f"ens_{i}\n"


def test_non_blocking_start_then_poll(exp):
    model = exp.create_model("s", exp.create_run_settings("sleep", exe_args="0.2"))
    exp.start(model, block=False)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_RUNNING]
    assert not exp.finished(model)
    exp.poll(interval=1, verbose=False)
    assert exp.finished(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED]


def test_stop_ends_the_whole_process_tree(exp, tmp_path):
    script = "sleep 300 & sleep 300 & echo ready; wait"
    model = exp.create_model("tree", exp.create_run_settings("sh", exe_args=["-c", script]))
    exp.start(model, block=False)
    _wait_for_file(tmp_path / "tree" / "tree.out")
    leader = psutil.Process(int(exp._control.jobs()[0].current.job_id))
    tree = [leader, *leader.children(recursive=True)]
    assert len(tree) == 3
    exp.stop(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_CANCELLED]
    for proc in tree:
        assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE


def test_stop_kills_a_job_that_ignores_sigterm(exp, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTSIM_STOP_GRACE", "0.3")
    script = "trap '' TERM; echo ready; while :; do sleep 0.05; done"
    model = exp.create_model("stubborn", exp.create_run_settings("sh", exe_args=["-c", script]))
    exp.start(model, block=False)
    _wait_for_file(tmp_path / "stubborn" / "stubborn.out")
    exp.stop(model)
    run = exp._control.jobs()[0].current
    assert run.status == SmartSimStatus.STATUS_CANCELLED
    assert run.returncode == -9


def test_stop_of_finished_entity_is_harmless(exp):
    model = exp.create_model("done", exp.create_run_settings("true"))
    exp.start(model)
    exp.stop(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED]


def test_restart_counts_runs_in_summary(exp):
    model = exp.create_model("again", exp.create_run_settings("true"))
    exp.start(model)
    exp.start(model)
    summary = exp.summary()
    lines = [line for line in summary.splitlines() if "again" in line]
    assert len(lines) == 2
    assert [line.split("|")[5].strip() for line in lines] == ["0", "1"]


def test_starting_a_running_entity_is_refused(exp):
    model = exp.create_model("busy", exp.create_run_settings("sleep", exe_args="30"))
    exp.start(model, block=False)
    with pytest.raises(SmartSimError, match="busy"):
        exp.start(model, block=False)
    exp.stop(model)


def test_unlaunched_entity(exp):
    model = exp.create_model("never", exp.create_run_settings("true"))
    assert exp.get_status(model) == [SmartSimStatus.STATUS_NEVER_STARTED]
    with pytest.raises(ValueError, match="never"):
        exp.finished(model)


def test_batch_settings_on_local_are_refused_before_anything_starts(exp, tmp_path):
    from smartsim.settings import SbatchSettings

    ok = exp.create_model("ok", exp.create_run_settings("true"))
    batched = exp.create_model(
        "batched", exp.create_run_settings("true"), batch_settings=SbatchSettings(nodes=1)
    )
    with pytest.raises(SSUnsupportedError, match="batched"):
        exp.start(ok, batched)
    assert exp.get_status(ok) == [SmartSimStatus.STATUS_NEVER_STARTED]


def test_summary_table_shows_words(exp):
    model = exp.create_model("hello", exp.create_run_settings("echo", exe_args="hi"))
    exp.start(model)
    header, rule, row = exp.summary().splitlines()
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "",
        "Name",
        "Entity-Type",
        "JobID",
        "RunID",
        "Time",
        "Status",
        "Returncode",
    ]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:3] == ["hello", "Model"]
    assert cells[6:] == ["Completed", "0"]
