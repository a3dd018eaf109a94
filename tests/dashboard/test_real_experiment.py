"""A real experiment (a model, a failing model, a 2-member ensemble, a database) in the dashboard.

Runs through ``Experiment`` on the local launcher with telemetry on, then checks in headless
Chromium what the live page and the report show. Screenshots are kept in
``$SMARTSIM_TEST_ARTIFACTS/dashboard/`` when that variable is set, else in the test's tmp_path.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from smartsim import Experiment
from smartsim._core.dashboard import DashboardServer, load_snapshot
from smartsim._core.utils.network import find_free_ports
from tests.dashboard.chromium import (
    artifacts_dir,
    browser,
    dump_dom,
    entity_rows,
    screenshot,
    without_code,
)

FAIL = "import sys; print('about to fail', file=sys.stderr); sys.exit(3)"


def _run_experiment(exp: Experiment) -> None:
    """Start the models and the ensemble and wait for them (the database is already up)."""
    python = sys.executable
    hello = exp.create_model(
        "hello", exp.create_run_settings(python, exe_args=["-c", "print('hello dashboard')"])
    )
    failing = exp.create_model("failing", exp.create_run_settings(python, exe_args=["-c", FAIL]))
    member = exp.create_run_settings(
        python, exe_args=["-c", "import os; print('member', os.getcwd())"]
    )
    ensemble = exp.create_ensemble("ens", params={"x": ["1", "2"]}, run_settings=member)
    exp.generate(hello, failing, ensemble, overwrite=True)
    exp.start(hello, failing, ensemble, block=True)


def _wait_for_metrics(exp_path: str, timeout: float = 30.0) -> None:
    """Until the database's sampler wrote two memory samples."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot, _ = load_snapshot(exp_path)
        shards = [s for d in snapshot["databases"] for s in d["shards"]]
        if shards and all(len(s["memory"]) >= 2 for s in shards):
            return
        time.sleep(0.25)
    pytest.fail(f"no database metrics under {exp_path} after {timeout} s")


def _check(dom: str) -> dict[str, dict[str, object]]:
    """What the page shows of the experiment."""
    rows = entity_rows(dom)
    statuses = {name: row["status"] for name, row in rows.items()}
    assert statuses == {
        "hello": "Completed",
        "failing": "Failed",
        "ens_0": "Completed",
        "ens_1": "Completed",
        "orchestrator_0": "Running",
    }, statuses
    assert rows["failing"]["cells"][:3] == ["failing", "Failed", "3"]
    assert rows["ens_0"]["cells"][3] == "x=1" and rows["ens_1"]["cells"][3] == "x=2"
    shard = rows["orchestrator_0"]["cells"]
    assert shard[1].startswith("127.0.0.1:") and shard[2] == "Running"
    assert shard[4].endswith("B") and int(shard[5]) >= 1  # memory used; clients (the sampler)
    assert '<h1 id="exp-name">dash-real</h1>' in dom
    assert '<svg class="chart" data-chart="memory"' in dom and "<polyline" in dom
    return rows


def test_real_experiment_in_the_dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live page and the report of a finished run with its database still up."""
    browser()  # skips without chromium
    monkeypatch.setenv("SMARTSIM_FLAG_TELEMETRY", "1")
    monkeypatch.setenv("SMARTSIM_TELEMETRY_FREQUENCY", "1")  # its least
    exp_dir = tmp_path / "exp"
    exp_dir.mkdir()
    exp = Experiment("dash-real", exp_path=str(exp_dir), launcher="local")
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    db.telemetry.enable()
    exp.start(db)
    try:
        _run_experiment(exp)
        _wait_for_metrics(str(exp_dir))
        shots = artifacts_dir(tmp_path)
        with DashboardServer(str(exp_dir), port=0) as server:
            server.start()
            rows = _check(dump_dom(server.url))
            failing = rows["failing"]["id"]
            opened = without_code(dump_dom(f"{server.url}#open={failing}"))
            assert "about to fail" in opened
            screenshot(f"{server.url}#open={failing}", shots / "real-live.png")
        report = exp.report()
        assert report == str(exp_dir / "report.html")
        _check(dump_dom(f"file://{report}"))
        opened = without_code(dump_dom(f"file://{report}#open={rows['hello']['id']}"))
        assert "hello dashboard" in opened
        screenshot(f"file://{report}#open={failing}", shots / "real-report.png")
    finally:
        exp.stop(db)


WAIT_FOR_GATE = """
import os, sys, time
print("working", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
"""


def test_live_page_follows_a_running_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a model runs the page says Running; once it ended, the same page says Completed."""
    browser()
    monkeypatch.setenv("SMARTSIM_FLAG_TELEMETRY", "1")
    gate = tmp_path / "gate"  # the model runs until the test creates this file
    exp = Experiment("dash-live", exp_path=str(tmp_path), launcher="local")
    settings = exp.create_run_settings(sys.executable, exe_args=["-c", WAIT_FOR_GATE, str(gate)])
    model = exp.create_model("slow", settings)
    with DashboardServer(str(tmp_path), port=0) as server:
        server.start()
        waiting = without_code(dump_dom(server.url, budget_ms=2500))
        assert "No telemetry yet" in waiting and entity_rows(waiting) == {}
        exp.start(model, block=False)
        try:
            rows = entity_rows(dump_dom(server.url, budget_ms=2500))
            assert rows["slow"]["status"] == "Running" and rows["slow"]["cells"][2] == ""
            gate.touch()
            exp.poll(interval=1, verbose=False)  # until it ended
            rows = entity_rows(dump_dom(server.url, budget_ms=2500))
            assert rows["slow"]["status"] == "Completed" and rows["slow"]["cells"][2] == "0"
        finally:
            gate.touch()
            if not exp.finished(model):
                exp.stop(model)
