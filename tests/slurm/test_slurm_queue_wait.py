"""Waiting on a busy queue: a queued database waits while Slurm says why, says what it waits
for, fails at once when Slurm says it can never start, and a bound is named when it passes."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time

import pytest

from smartsim import Experiment
from smartsim._core.utils.network import find_free_port
from smartsim.error import SmartSimError
from smartsim.status import SmartSimStatus as S


@pytest.fixture
def exp(tmp_path):
    experiment = Experiment("queue", exp_path=str(tmp_path), launcher="slurm")
    yield experiment
    experiment._control.stop_all()


@pytest.fixture
def progress(monkeypatch, caplog):
    """Progress messages every second, captured."""
    monkeypatch.setenv("SMARTSIM_PROGRESS_INTERVAL", "1")
    caplog.set_level(logging.INFO, logger="smartsim")
    return caplog


def _state(job_id: str) -> str:
    out = subprocess.run(
        ["squeue", "--noheader", f"--jobs={job_id}", "--format=%T"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    return out.strip()


@pytest.fixture
def busy_node():
    """Start a job that holds the whole node for ``seconds``; cancelled after the test."""
    started: list[str] = []

    def hold(seconds: int) -> str:
        job_id = subprocess.run(
            ["sbatch", "--parsable", "--exclusive", "--job-name=blocker", "--output=/dev/null",
             f"--wrap=sleep {seconds}"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        started.append(job_id)
        deadline = time.monotonic() + 30
        while _state(job_id) != "RUNNING":
            assert time.monotonic() < deadline, "the blocking job did not start"
            time.sleep(0.2)
        return job_id

    yield hold
    if started:
        subprocess.run(["scancel", *started], check=False)
        deadline = time.monotonic() + 30  # its processes end shortly after the cancel
        while any(_state(job) for job in started) and time.monotonic() < deadline:
            time.sleep(0.2)


def _batch_db(exp, nodes: int):
    db = exp.create_database(
        port=find_free_port(), db_nodes=1, batch=True, interface="lo", time="00:05:00"
    )
    db.batch_settings.set_nodes(nodes)
    return db


def test_a_database_that_can_never_start_fails_at_once_with_slurms_reason(exp):
    db = _batch_db(exp, nodes=2)  # this partition has one node
    began = time.monotonic()
    with pytest.raises(SmartSimError) as failed:
        exp.start(db)
    assert time.monotonic() - began < 30  # not the 60 s readiness bound, nor forever
    message = str(failed.value)
    assert "Database orchestrator: slurm job" in message
    assert "can never start as submitted: the scheduler says PartitionNodeLimit" in message
    assert exp.get_status(db)[0] in (S.STATUS_CANCELLED, S.STATUS_FAILED)


def test_a_queued_database_waits_past_the_ready_bound_and_says_why(
    exp, busy_node, progress, monkeypatch
):
    monkeypatch.setenv("SMARTSIM_DB_READY_TIMEOUT", "3")  # the wait below is longer
    busy_node(8)
    db = _batch_db(exp, nodes=1)
    exp.start(db)
    try:
        assert db.is_active()
        assert re.search(
            r"Database orchestrator: waiting for slurm to start job \d+ \((Resources|Priority)\)",
            progress.text,
        ), progress.text
    finally:
        exp.stop(db)


def test_the_queue_bound_is_named_when_it_passes(exp, busy_node, monkeypatch):
    monkeypatch.setenv("SMARTSIM_DB_QUEUE_TIMEOUT", "2")
    busy_node(120)
    db = _batch_db(exp, nodes=1)
    with pytest.raises(SmartSimError, match=r"SMARTSIM_DB_QUEUE_TIMEOUT=2 bounds this wait"):
        exp.start(db)


def test_poll_says_why_a_job_is_queued(exp, busy_node, progress):
    busy_node(4)
    batch = exp.create_batch_settings(nodes=1, time="00:01:00")
    model = exp.create_model("waiter", exp.create_run_settings(sys.executable, exe_args=["-V"]),
                             batch_settings=batch)  # fmt: skip
    exp.start(model, block=False)
    exp.poll(interval=1)
    assert exp.get_status(model) == [S.STATUS_COMPLETED]
    assert re.search(r"waiter\(\d+\): Queued \((Resources|Priority)\)", progress.text)
