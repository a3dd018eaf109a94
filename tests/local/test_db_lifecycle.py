"""A database outliving its driver: exit message, reconnect, smart teardown, SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil

from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim._core.utils.process import wait_gone
from smartsim.status import SmartSimStatus

LEAVE_DB_RUNNING = """
import sys
from smartsim import Experiment
exp = Experiment("left", exp_path=sys.argv[1])
db = exp.create_database(port=int(sys.argv[2]), interface="lo")
exp.start(db)
print("CHECKPOINT", db.checkpoint_file, flush=True)
"""

TERM_WHILE_RUNNING = """
import sys
from smartsim import Experiment
exp = Experiment("term", exp_path=sys.argv[1])
db = exp.create_database(port=int(sys.argv[2]), interface="lo")
exp.start(db)
model = exp.create_model("sleeper", exp.create_run_settings("sleep", exe_args="300"))
exp.start(model, block=False)
print("READY", flush=True)
import time
time.sleep(300)
"""


def _shard_pids(checkpoint_file: str) -> list[int]:
    with open(checkpoint_file, encoding="utf-8") as handle:
        return [int(shard["job_id"]) for shard in json.load(handle)["shards"]]


def _leave_db_running(tmp_path) -> tuple[str, str]:
    port = find_free_ports(1)
    done = subprocess.run(
        [sys.executable, "-c", LEAVE_DB_RUNNING, str(tmp_path), str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    checkpoint = done.stdout.split("CHECKPOINT ", 1)[1].split()[0]
    return checkpoint, done.stdout + done.stderr


def test_driver_exit_reports_db_and_reconnect_stops_it(tmp_path):
    checkpoint, output = _leave_db_running(tmp_path)
    assert "still running" in output and "reconnect_orchestrator" in output
    pids = _shard_pids(checkpoint)
    assert all(psutil.pid_exists(pid) for pid in pids)
    exp = Experiment("again", exp_path=str(tmp_path))
    db = exp.reconnect_orchestrator(checkpoint)
    assert db.is_active()
    assert exp.get_status(db) == [SmartSimStatus.STATUS_RUNNING]
    exp.stop(db)
    assert exp.get_status(db) == [SmartSimStatus.STATUS_CANCELLED]
    assert not wait_gone(
        [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)], time.monotonic() + 5
    )


def test_smart_teardown_stops_what_a_driver_left(tmp_path):
    checkpoint, _ = _leave_db_running(tmp_path)
    procs = [psutil.Process(pid) for pid in _shard_pids(checkpoint)]
    done = subprocess.run(
        [sys.executable, "-m", "smartsim._core.cli", "teardown", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "stopped DBNode orchestrator_0" in done.stdout
    assert not wait_gone(procs, time.monotonic() + 5)
    again = subprocess.run(
        [sys.executable, "-m", "smartsim._core.cli", "teardown", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "nothing of this experiment is running" in again.stdout


def test_sigterm_stops_everything_the_driver_started(tmp_path):
    port = find_free_ports(1)
    driver = subprocess.Popen(
        [sys.executable, "-c", TERM_WHILE_RUNNING, str(tmp_path), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert driver.stdout is not None
        for line in driver.stdout:
            if "READY" in line:
                break
        started = psutil.Process(driver.pid).children(recursive=True)
        assert len(started) >= 3  # shard entrypoint, its server, the sleeper
        sent = time.monotonic()
        driver.send_signal(signal.SIGTERM)
        output = driver.communicate(timeout=30)[0]
        assert driver.returncode == 128 + signal.SIGTERM, output
        assert not wait_gone(started, sent + 5), output
        assert "Received SIGTERM" in output
    finally:
        driver.kill()
        driver.wait()
