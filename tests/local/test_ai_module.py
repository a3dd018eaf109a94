"""The smartsim-ai module's execution path on a real database: workers fed without polling,
callers waiting alone, TIMEOUT, dead workers, several workers, and a database without it."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import psutil
import pytest

from smartredis.wire import Connection, ReplyError
from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.status import SmartSimStatus

pytest.importorskip("torch")

# A script whose run time the caller chooses: `n` loop turns of the TorchScript interpreter.
SLOW = """
def slow(x, n):
    y = x
    for i in range(int(n.item())):
        y = y + 1
    return y
"""


def _tensor(conn: Connection, key: str, array: np.ndarray) -> None:
    dtype = {np.float32: "FLOAT", np.int64: "INT64"}[array.dtype.type]
    conn.execute("AI.TENSORSET", key, dtype, *array.shape, "BLOB", array.tobytes())


def _ai_info(conn: Connection) -> dict[str, int]:
    """The module's INFO section: workers, idle_workers, queued_jobs, running_jobs."""
    text = bytes(conn.execute("INFO", "smartsim-ai")).decode()
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {k.removeprefix("smartsim-ai_"): int(v) for k, v in fields.items()}


def _busy(conn: Connection, running: int = 1, idle: int = 0) -> bool:
    info = _ai_info(conn)
    return info["running_jobs"] == running and info["idle_workers"] == idle


def _workers(shard: psutil.Process) -> list[psutil.Process]:
    return [p for p in shard.children() if "inference.worker" in " ".join(p.cmdline())]


def _wait_for(predicate, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


@pytest.fixture
def start_db(tmp_path):
    """Start a standalone database through Experiment; stopped at the end."""
    exp = Experiment("ai", exp_path=str(tmp_path))
    started = []

    def start(**kwargs):  # type: ignore[no-untyped-def]
        db = exp.create_database(port=find_free_ports(1), interface="lo", **kwargs)
        exp.start(db)
        started.append(db)
        shard = psutil.Process(int(exp._control.jobs()[-1].current.job_id))
        return exp, db, shard, f"127.0.0.1:{db.port}"

    yield start
    for db in started:
        exp.stop(db)


@pytest.fixture
def slow_db(start_db):
    """A database holding the slow script and a small tensor `x`."""
    exp, db, shard, address = start_db()
    with Connection(address, timeout=30) as conn:
        conn.execute("AI.SCRIPTSET", "slow", "CPU", "SOURCE", SLOW)
        _tensor(conn, "x", np.zeros((2,), dtype=np.float32))
        _tensor(conn, "quick", np.array([1], dtype=np.int64))
        _tensor(conn, "long", np.array([1_000_000], dtype=np.int64))
    return exp, db, shard, address


def _run_in_thread(address: str, *command: object) -> tuple[threading.Thread, list[object]]:
    """Send ``command`` on its own connection in a thread; its reply (or error) lands in the
    returned list."""
    outcome: list[object] = []

    def call() -> None:
        with Connection(address, timeout=60) as conn:
            try:
                outcome.append(conn.execute(*command))
            except ReplyError as exc:
                outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    return thread, outcome


def test_others_are_served_while_a_call_runs(slow_db):
    _, _, _, address = slow_db
    thread, outcome = _run_in_thread(
        address, "AI.SCRIPTRUN", "slow", "slow", "INPUTS", "x", "long", "OUTPUTS", "y"
    )
    with Connection(address) as conn:
        _wait_for(lambda: _busy(conn))
        conn.execute("SET", "other", "1")  # answered while the call is still running
        assert conn.execute("GET", "other") == b"1"
        assert thread.is_alive() and not outcome
    thread.join()
    assert outcome == ["OK"]


def test_timeout_answers_timedout_and_writes_nothing(slow_db):
    _, _, _, address = slow_db
    with Connection(address, timeout=30) as conn:
        conn.execute("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", _linear_model())
    busy, busy_outcome = _run_in_thread(
        address, "AI.SCRIPTRUN", "slow", "slow", "INPUTS", "x", "long", "OUTPUTS", "y"
    )
    with Connection(address, timeout=30) as conn:
        _wait_for(lambda: _busy(conn))
        # the single worker is busy: this call waits in the queue past its TIMEOUT
        reply = conn.execute(
            "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "late", "TIMEOUT", 50
        )
        assert reply == "TIMEDOUT"
        busy.join()
        assert busy_outcome == ["OK"]
        assert conn.execute("EXISTS", "late") == 0  # it never ran


def _linear_model() -> bytes:
    import io

    import torch

    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buffer)
    return buffer.getvalue()


def test_a_dead_worker_fails_its_callers_at_once_and_is_replaced(slow_db):
    exp, db, shard, address = slow_db
    (worker,) = _wait_for(lambda: _workers(shard))
    thread, outcome = _run_in_thread(
        address, "AI.SCRIPTRUN", "slow", "slow", "INPUTS", "x", "long", "OUTPUTS", "y"
    )
    with Connection(address) as conn:
        _wait_for(lambda: _busy(conn))
    worker.kill()
    thread.join(timeout=10)  # the call would run for seconds more: it is answered at once
    assert not thread.is_alive()
    assert isinstance(outcome[0], ReplyError)
    assert "inference worker running this request exited" in str(outcome[0])
    (replacement,) = _wait_for(lambda: [w for w in _workers(shard) if w.pid != worker.pid])
    assert replacement.pid != worker.pid
    with Connection(address, timeout=30) as conn:
        reply = conn.execute("AI.SCRIPTRUN", "slow", "slow", "INPUTS", "x", "quick", "OUTPUTS", "y")
        assert reply == "OK"
    assert exp.get_status(db) == [SmartSimStatus.STATUS_RUNNING]
    with open(os.path.join(db.path, f"{db.entities[0].name}.err"), encoding="utf-8") as handle:
        assert "inference worker exited" in handle.read()


def test_threads_per_queue_starts_that_many_workers_that_run_together(start_db):
    _, _, shard, address = start_db(threads_per_queue=2, inter_op_threads=1, intra_op_threads=1)
    workers = _wait_for(lambda: len(_workers(shard)) == 2 and _workers(shard))
    assert all("--intra-op-threads" in w.cmdline() for w in workers)
    with Connection(address, timeout=30) as conn:
        conn.execute("AI.SCRIPTSET", "slow", "CPU", "SOURCE", SLOW)
        _tensor(conn, "x", np.zeros((2,), dtype=np.float32))
        _tensor(conn, "long", np.array([1_000_000], dtype=np.int64))
        _tensor(conn, "quick", np.array([1], dtype=np.int64))
        thread, outcome = _run_in_thread(
            address, "AI.SCRIPTRUN", "slow", "slow", "INPUTS", "x", "long", "OUTPUTS", "y"
        )
        _wait_for(lambda: _busy(conn, running=1, idle=1))
        # the second worker takes this one while the first is busy
        reply = conn.execute("AI.SCRIPTRUN", "slow", "slow", "INPUTS", "x", "quick", "OUTPUTS", "z")
        assert reply == "OK"
        assert thread.is_alive()
    thread.join()
    assert outcome == ["OK"]


def test_execution_inside_multi_is_refused(slow_db):
    _, _, _, address = slow_db
    with Connection(address) as conn:
        replies = conn.pipeline(
            [
                ("MULTI",),
                ("AI.SCRIPTRUN", "slow", "slow", "INPUTS", "x", "quick", "OUTPUTS", "y"),
                ("EXEC",),
            ]
        )
        (inner,) = replies[-1]
        assert isinstance(inner, ReplyError) and "MULTI" in str(inner)


def test_a_database_without_the_module_says_why(start_db, monkeypatch):
    monkeypatch.setenv("SMARTSIM_AI_MODULE", "off")
    _, db, shard, address = start_db()
    assert not _workers(shard)
    with Connection(address) as conn:
        with pytest.raises(ReplyError, match="unknown command"):
            conn.execute("AI.TENSORSET", "t", "FLOAT", 1, "VALUES", 1)
        conn.execute("SET", "plain", "1")  # everything else works
    with open(os.path.join(db.path, f"{db.entities[0].name}.out"), encoding="utf-8") as handle:
        assert "AI commands unavailable" in handle.read()


LIST_FORM = """
def scale(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] * float(args[0]) + len(keys)
"""


def test_scriptexecute_hands_keys_and_args_to_list_form_entry_points(slow_db):
    _, _, _, address = slow_db
    with Connection(address, timeout=30) as conn:
        conn.execute("AI.SCRIPTSTORE", "lf", "CPU", "ENTRY_POINTS", 1, "scale", "SOURCE", LIST_FORM)
        _tensor(conn, "v", np.array([1.0, 2.0], dtype=np.float32))
        reply = conn.execute(
            "AI.SCRIPTEXECUTE", "lf", "scale", "KEYS", 2, "v", "w", "INPUTS", 1, "v",
            "ARGS", 1, "3", "OUTPUTS", 1, "scaled",
        )  # fmt: skip
        assert reply == "OK"
        blob = conn.execute("AI.TENSORGET", "scaled", "BLOB")
        np.testing.assert_array_equal(np.frombuffer(blob, np.float32), [5.0, 8.0])
