"""smart teardown stops only the processes the experiment recorded, recognised by start time
and command line (or job marker), and everything those jobs started."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from smartsim import Experiment
from smartsim._core.control.jobrecord import record_path
from smartsim._core.teardown import teardown
from smartsim._core.utils.process import wait_gone
from tests.local.strays import DOUBLE_FORK

LEAVE_RUNNING = """
import sys
from smartsim import Experiment
exp = Experiment("left", exp_path=sys.argv[1])
settings = exp.create_run_settings(sys.executable, exe_args=["-c", sys.argv[2], sys.argv[3]])
exp.start(exp.create_model("daemonizer", settings), block=False)
"""


EXEC_LATER = "import os, time; time.sleep(0.3); os.execv('/bin/sleep', ['sleep', '300'])"


@pytest.fixture
def unrelated():
    """Start processes that are not the experiment's; kill whatever survives the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str]) -> subprocess.Popen[bytes]:
        started.append(subprocess.Popen(argv))
        return started[-1]

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def _recorded_then_stopped(tmp_path: Path, argv: list[str]) -> Experiment:
    """An experiment that ran ``argv`` as a model, recorded it, and stopped it."""
    exp = Experiment("reuse", exp_path=str(tmp_path))
    model = exp.create_model("job", exp.create_run_settings(argv[0], exe_args=argv[1:]))
    exp.start(model, block=False)
    exp.stop(model)
    return exp


def _point_record_at(tmp_path: Path, pid: int) -> None:
    """Make the recorded job's pid ``pid``, as if the system had given its pid to it."""
    path = Path(record_path(str(tmp_path)))
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    for entry in entries:
        entry["job_id"] = str(pid)
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))


def _alive(proc: subprocess.Popen[bytes]) -> bool:
    return proc.poll() is None


def test_a_later_process_with_the_same_command_line_is_spared(tmp_path: Path, unrelated) -> None:
    argv = ["/bin/sleep", "300"]
    _recorded_then_stopped(tmp_path, argv)
    time.sleep(1.5)  # longer than the start-time slack
    stranger = unrelated(argv)
    _point_record_at(tmp_path, stranger.pid)

    assert teardown(str(tmp_path)) == []
    time.sleep(0.2)
    assert _alive(stranger), "teardown killed a process that only reused a recorded pid"


def test_a_process_started_at_once_with_another_command_line_is_spared(
    tmp_path: Path, unrelated
) -> None:
    _recorded_then_stopped(tmp_path, ["/bin/sleep", "300"])
    stranger = unrelated(["/bin/sleep", "301"])  # well within the slack
    _point_record_at(tmp_path, stranger.pid)

    assert teardown(str(tmp_path)) == []
    time.sleep(0.2)
    assert _alive(stranger), "teardown killed a process that only reused a recorded pid"


def test_record_keeps_start_time_command_line_and_marker(tmp_path: Path) -> None:
    exp = Experiment("rec", exp_path=str(tmp_path))
    model = exp.create_model("job", exp.create_run_settings("/bin/sleep", exe_args=["30"]))
    exp.start(model, block=False)
    try:
        (entry,) = [json.loads(line) for line in Path(record_path(str(tmp_path))).open()]
        proc = psutil.Process(int(entry["job_id"]))
        assert abs(entry["started_at"] - proc.create_time()) < 0.05
        assert entry["cmdline"] == proc.cmdline() == ["/bin/sleep", "30"]
        assert proc.environ()["SMARTSIM_JOB"] == entry["marker"]
    finally:
        exp.stop(model)


def test_a_dead_drivers_job_and_its_setsid_grandchild_are_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    done = subprocess.run(
        [sys.executable, "-c", LEAVE_RUNNING, str(tmp_path), DOUBLE_FORK, str(pid_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 10
    while not pid_file.exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    grandchild = psutil.Process(int(pid_file.read_text()))
    (entry,) = [json.loads(line) for line in Path(record_path(str(tmp_path))).open()]
    root = psutil.Process(int(entry["job_id"]))

    stopped = teardown(str(tmp_path))

    assert [job.name for job in stopped] == ["daemonizer"]
    assert not wait_gone([root, grandchild], time.monotonic() + 5)


def test_a_job_that_exec_d_is_still_recognised_by_its_marker(tmp_path: Path) -> None:
    exp = Experiment("exec", exp_path=str(tmp_path))
    settings = exp.create_run_settings(sys.executable, exe_args=["-c", EXEC_LATER])
    model = exp.create_model("execer", settings)
    exp.start(model, block=False)
    proc = psutil.Process(int(exp._control.jobs()[-1].current.job_id))
    deadline = time.monotonic() + 10
    while proc.cmdline() != ["sleep", "300"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    (entry,) = [json.loads(line) for line in Path(record_path(str(tmp_path))).open()]
    assert entry["cmdline"] != proc.cmdline()  # recorded before the exec

    assert [job.name for job in teardown(str(tmp_path))] == ["execer"]
    assert not wait_gone([proc], time.monotonic() + 5)
    exp.stop(model)  # already gone: only records it
