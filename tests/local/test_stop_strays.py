"""exp.stop ends every process a job started, even one that left its session and tree."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from smartsim import Experiment
from smartsim._core.utils.process import wait_gone
from tests.local.strays import DOUBLE_FORK


@pytest.fixture
def exp(tmp_path: Path):
    experiment = Experiment("strays", exp_path=str(tmp_path), launcher="local")
    yield experiment
    experiment._control.stop_all()


def _wait_for_pid(path: Path) -> int:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline, "the job did not start its grandchild"
        time.sleep(0.01)
    return int(path.read_text())


def _driver_zombies() -> list[psutil.Process]:
    return [p for p in psutil.Process().children() if p.status() == psutil.STATUS_ZOMBIE]


def test_stop_ends_a_double_forked_setsid_grandchild(exp, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    settings = exp.create_run_settings(sys.executable, exe_args=["-c", DOUBLE_FORK, str(pid_file)])
    model = exp.create_model("daemonizer", settings)
    exp.start(model, block=False)
    grandchild = psutil.Process(_wait_for_pid(pid_file))
    root = int(exp._control.jobs()[-1].current.job_id)
    assert grandchild not in psutil.Process(root).children(recursive=True)
    assert os.getsid(grandchild.pid) != root and os.getpgid(grandchild.pid) != root

    exp.stop(model)

    assert not wait_gone([grandchild], time.monotonic() + 5), "the setsid grandchild survived"
    assert not _driver_zombies()


def test_stop_leaves_other_jobs_strays_alone(exp, tmp_path: Path) -> None:
    pid_files = [tmp_path / "a.pid", tmp_path / "b.pid"]
    models = [
        exp.create_model(
            name,
            exp.create_run_settings(sys.executable, exe_args=["-c", DOUBLE_FORK, str(pid)]),
        )
        for name, pid in zip(["a", "b"], pid_files, strict=True)
    ]
    exp.start(*models, block=False)
    first, second = (psutil.Process(_wait_for_pid(path)) for path in pid_files)

    exp.stop(models[0])
    assert not wait_gone([first], time.monotonic() + 5)
    assert second.is_running() and second.status() != psutil.STATUS_ZOMBIE

    exp.stop(models[1])
    assert not wait_gone([second], time.monotonic() + 5)
