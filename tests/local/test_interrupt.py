"""Ctrl-C in a driver script: with kill_on_interrupt everything it launched is stopped."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
import pytest

from smartsim._core.utils.process import wait_gone

DRIVER = """
import sys
from smartsim import Experiment
exp = Experiment("intr", exp_path=sys.argv[1])
rs = exp.create_run_settings("sleep", exe_args="300")
ens = exp.create_ensemble("ens", run_settings=rs, replicas=3)
exp.start(ens, block=True, kill_on_interrupt=sys.argv[2] == "kill")
"""


def _sleep_children(
    driver: subprocess.Popen, count: int, timeout: float = 20
) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = [p for p in psutil.Process(driver.pid).children() if p.name() == "sleep"]
        if len(kids) == count:
            return kids
        time.sleep(0.02)
    raise AssertionError("the driver did not launch its jobs in time")


@pytest.mark.parametrize("mode", ["kill", "keep"])
def test_ctrl_c_during_blocking_start(tmp_path, mode):
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(tmp_path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    kids: list[psutil.Process] = []
    try:
        kids = _sleep_children(driver, 3)
        driver.send_signal(signal.SIGINT)
        output, _ = driver.communicate(timeout=30)
        assert "KeyboardInterrupt" in output
        _, alive = psutil.wait_procs(kids, timeout=0.5)
        if mode == "kill":
            assert not alive, output
            assert "stopping the 3 running job(s)" in output
        else:
            assert len(alive) == 3
            assert "keep running" in output
    finally:
        driver.kill()
        driver.wait()
        for proc in kids:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        wait_gone(kids, time.monotonic() + 5)
