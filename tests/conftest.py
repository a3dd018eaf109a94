"""Suite-wide guard: a test that leaves a process behind fails, and the process is killed."""

from __future__ import annotations

import os
import signal
import time
import uuid

import psutil
import pytest

from smartsim._core.utils.process import wait_gone

# Every process started under the test session inherits this marker in its environment,
# so leftovers are found even after they were reparented away from pytest.
MARKER_NAME = "SMARTSIM_TEST_SESSION"
MARKER = uuid.uuid4().hex
os.environ[MARKER_NAME] = MARKER
os.environ.setdefault("SMARTSIM_STOP_GRACE", "2")


def _leftovers() -> list[psutil.Process]:
    me = os.getpid()
    found = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get(MARKER_NAME) == MARKER:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.fixture(autouse=True)
def no_leaked_processes():
    """Fail the test if it leaves any process of this session running."""
    yield
    leftovers = _leftovers()
    if not leftovers:
        return
    described = []
    for proc in leftovers:
        try:
            described.append(f"{proc.pid}: {' '.join(proc.cmdline())}")
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            continue
    wait_gone(leftovers, time.monotonic() + 5)
    if described:
        pytest.fail("test left processes running:\n" + "\n".join(described))
