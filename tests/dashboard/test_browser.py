"""What the dashboard SHOWS in headless Chromium, from crafted telemetry (tests/dashboard/sample).

The DOM is dumped after the page's script ran. Screenshots are kept in
``$SMARTSIM_TEST_ARTIFACTS/dashboard/`` when that variable is set, else in the test's tmp_path.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from smartsim._core.dashboard import DashboardServer, write_report
from tests.dashboard.chromium import (
    artifacts_dir,
    browser,
    dump_dom,
    entity_rows,
    screenshot,
    without_code,
)
from tests.dashboard.sample import NOW_MS, make_experiment


@pytest.fixture(autouse=True)
def _chromium() -> None:
    browser()  # skips without chromium


def _check_sample_view(dom: str) -> dict[str, dict[str, object]]:
    """The sample's entities, statuses, failed return code, member params, shard and charts."""
    rows = entity_rows(dom)
    assert {name: row["status"] for name, row in rows.items()} == {
        "good": "Completed",
        "bad": "Failed",
        "ens_0": "Completed",
        "ens_1": "Running",
        "orchestrator_0": "Running",
    }
    assert rows["bad"]["cells"][:3] == ["bad", "Failed", "3"]  # name, status, return code
    assert rows["ens_0"]["cells"][3] == "alpha=1" and rows["ens_1"]["cells"][3] == "alpha=2"
    shard = rows["orchestrator_0"]["cells"]
    assert shard[:3] == ["orchestrator_0", "127.0.0.1:6780", "Running"]
    assert shard[4] == "2.1 MiB" and shard[5] == "3"  # latest memory used, latest client count
    assert '<h1 id="exp-name">sample-exp</h1>' in dom
    assert '<svg class="chart" data-chart="memory"' in dom and "<polyline" in dom
    assert '<svg class="chart" data-chart="clients"' in dom
    return rows


def test_report_in_chromium(tmp_path: Path) -> None:
    """The report file, opened from disk, shows everything, including an opened entity's tails."""
    exp = make_experiment(tmp_path / "exp")
    report = write_report(str(exp))
    url = f"file://{report}"
    rows = _check_sample_view(dump_dom(url))
    opened = without_code(
        dump_dom(f"{url}#open={rows['bad']['id']},{rows['good']['id']},experiment")
    )
    assert "bad: something broke" in opened and "hello from bad" in opened
    assert "experiment log line" in opened
    assert "&lt;b&gt;not bold&lt;/b&gt;" in opened  # output shown as text, never as markup
    assert "report of " in opened and "dashboard server" not in opened
    screenshot(f"{url}#open={rows['bad']['id']}", artifacts_dir(tmp_path) / "sample-report.png")


def test_live_dashboard_in_chromium(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The served page polls the snapshot, fetches an opened entity's tails, follows changes."""
    exp = make_experiment(tmp_path / "exp")
    caplog.set_level(logging.DEBUG, logger="smartsim._core.dashboard.server")
    with DashboardServer(str(exp), port=0) as server:
        server.start()
        rows = _check_sample_view(dump_dom(server.url, budget_ms=5000))
        polls = sum("GET /api/snapshot" in r.getMessage() for r in caplog.records)
        assert polls >= 2, f"the page fetched the snapshot {polls} time(s) in 5 s"
        opened = without_code(dump_dom(f"{server.url}#open={rows['bad']['id']}"))
        assert "bad: something broke" in opened and "live, updated" in opened
        # ens_1 ends: the next poll shows it
        status_dir = exp / ".smartsim/telemetry/sample-exp/abc1234/ensemble/ens/ens_1"
        (status_dir / "stop.json").write_text(
            json.dumps(
                {
                    "timestamp": NOW_MS,
                    "job_id": 1,
                    "step_id": "",
                    "type": "model",
                    "action": "stop",
                    "detail": "status: Failed",
                    "return_code": 9,
                }
            )
        )
        rows = entity_rows(dump_dom(server.url))
        assert rows["ens_1"]["status"] == "Failed" and rows["ens_1"]["cells"][2] == "9"
        screenshot(
            f"{server.url}#open={rows['bad']['id']}", artifacts_dir(tmp_path) / "sample-live.png"
        )
