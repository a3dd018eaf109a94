"""PBS and LSF launchers end to end against fake qsub/qstat/qdel and bsub/bjobs/bkill."""

from __future__ import annotations

import json
import os
import time

import pytest

from smartsim import Experiment
from smartsim.error import LauncherError
from smartsim.status import SmartSimStatus

S = SmartSimStatus


@pytest.fixture
def exp(scheduler, tmp_path):
    (tmp_path / "exp").mkdir()
    experiment = Experiment("exp", exp_path=str(tmp_path / "exp"), launcher=scheduler)
    yield experiment
    experiment._control.stop_all()


def _settings(exp, *args: str):
    return exp.create_run_settings("sh", exe_args=["-c", *args], run_command="")


def _log(tmp_path) -> list[list[str]]:
    """The fake tools' calls, each a tool and its arguments (or ``submit <id>``)."""
    lines = (tmp_path / "fakestate" / "log").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_batch_model_completes_with_its_output(exp, tmp_path):
    batch = exp.create_batch_settings(nodes=1, time="00:10:00")
    model = exp.create_model("m", _settings(exp, "echo hi $A"), batch_settings=batch)
    model.run_settings.env_vars["A"] = "b,c"
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_COMPLETED]
    assert (tmp_path / "exp" / "m" / "m.out").read_text() == "hi b,c\n"
    assert exp._control.jobs()[0].current.returncode == 0


def test_batch_ensemble_is_one_job_and_one_query_per_interval(exp, tmp_path):
    batch = exp.create_batch_settings(nodes=1)
    members = _settings(exp, "sleep 0.5; pwd")
    ens = exp.create_ensemble("ens", batch_settings=batch, run_settings=members, replicas=3)
    other = exp.create_model("solo", _settings(exp, "sleep 0.5"), batch_settings=batch)
    exp.start(ens, other)
    assert exp.get_status(ens, other) == [S.STATUS_COMPLETED] * 4
    for i in range(3):
        member_dir = tmp_path / "exp" / "ens" / f"ens_{i}"
        assert (member_dir / f"ens_{i}.out").read_text() == f"{member_dir}\n"
    log = _log(tmp_path)
    jobs = [args[1] for args in log if args[0] == "submit"]
    assert len(jobs) == 2
    queries = [args[1:] for args in log if args[0] in ("qstat", "bjobs")]
    assert 1 <= len(queries) <= 20  # one per interval, not one per member
    # both jobs run for 0.5 s at once, so at least one query names both
    assert any(set(jobs) <= set(args) for args in queries), queries


def test_failing_batch_job_is_failed_with_its_code(exp):
    batch = exp.create_batch_settings(nodes=1)
    batch.add_preamble("exit 3")
    model = exp.create_model("bad", _settings(exp, "true"), batch_settings=batch)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_FAILED]
    assert exp._control.jobs()[0].current.returncode == 3


def test_stop_running_batch_job_is_cancelled(exp, tmp_path):
    batch = exp.create_batch_settings(nodes=1)
    model = exp.create_model("long", _settings(exp, "sleep 60"), batch_settings=batch)
    exp.start(model, block=False)
    deadline = time.monotonic() + 10
    while exp.get_status(model) != [S.STATUS_RUNNING] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert exp.get_status(model) == [S.STATUS_RUNNING]
    exp.stop(model)
    assert exp.get_status(model) == [S.STATUS_CANCELLED]
    assert {"qdel", "bkill"} & {args[0] for args in _log(tmp_path)}


def test_rejected_submission_names_the_reason(exp):
    batch = exp.create_batch_settings(nodes=1, queue="bad")
    model = exp.create_model("m", _settings(exp, "true"), batch_settings=batch)
    with pytest.raises(LauncherError, match=r"(qsub|bsub) rejected batch job 'm' \(exit \d+\)"):
        exp.start(model)


def test_step_in_the_allocation_runs_as_a_local_process(exp, tmp_path):
    model = exp.create_model("step", _settings(exp, "echo $$; exit 4"))
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_FAILED]
    run = exp._control.jobs()[0].current
    assert run.returncode == 4 and run.job_id.startswith("local:")
    assert (tmp_path / "exp" / "step" / "step.out").read_text().strip().isdigit()
    assert not os.path.exists(tmp_path / "fakestate" / "log")
