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


def _kill_and_describe(procs: list[psutil.Process]) -> list[str]:
    described = []
    for proc in procs:
        try:
            described.append(f"{proc.pid}: {' '.join(proc.cmdline())}")
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            continue
    wait_gone(procs, time.monotonic() + 5)
    return described


SESSION_WIDE: set[int] = set()
"""Pids of processes that session-scoped fixtures keep running across tests."""


def keep_for_the_session() -> None:
    """Exempt every process running now (a session fixture's database) from the per-test check."""
    SESSION_WIDE.update(proc.pid for proc in _leftovers())


def _session_wide(proc: psutil.Process) -> bool:
    """Kept by a session fixture, or started later by one that is (a shard's workers)."""
    try:
        return proc.pid in SESSION_WIDE or any(p.pid in SESSION_WIDE for p in proc.parents())
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(autouse=True)
def no_leaked_processes():
    """Fail the test if it leaves a process of this session running.

    Processes that ran before the test, or that a session fixture keeps, are not the test's.
    """
    before = {proc.pid for proc in _leftovers()}
    yield
    mine = [p for p in _leftovers() if p.pid not in before and not _session_wide(p)]
    described = _kill_and_describe(mine)
    if described:
        pytest.fail("test left processes running:\n" + "\n".join(described))


@pytest.fixture(scope="session", autouse=True)
def no_leaks_at_the_end():
    """Fail the session if anything it started still runs once every fixture is torn down."""
    yield
    described = _kill_and_describe(_leftovers())
    if described:
        pytest.fail("the test session left processes running:\n" + "\n".join(described))


# -- Slurm tests must run in CI ---------------------------------------------------------------

_SKIPPED_SLURM: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember Slurm tests that were skipped."""
    if report.skipped and report.nodeid.startswith("tests/slurm/"):
        _SKIPPED_SLURM.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With CI=true, a skipped Slurm test fails the run: CI must run them."""
    if _SKIPPED_SLURM and os.environ.get("CI", "").lower() == "true":
        print(
            f"\nCI=true but {len(_SKIPPED_SLURM)} Slurm test(s) were skipped, e.g. "
            f"{_SKIPPED_SLURM[0]}: scripts/test.sh must start Slurm (see scripts/slurm/)"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
