"""The dashboard's reading of telemetry, its page, server and commands (no browser here)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from smartsim._core.cli import main
from smartsim._core.dashboard import DashboardServer, TelemetryNotFound, load_snapshot
from smartsim._core.dashboard.model import (
    MIN_TAIL_BYTES,
    REPORT_TAILS_BYTES,
    _tail_budget,
    status_of,
)
from smartsim._core.dashboard.page import render_page
from smartsim._core.dashboard.readers import TAIL_BYTES, CsvCache, downsample, tail, to_seconds
from smartsim._core.dashboard.report import write_report
from smartsim._core.dashboard.server import FRESH_FOR
from tests.dashboard.sample import make_experiment


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _event(directory: Path, action: str, **fields: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{action}.json").write_text(
        json.dumps({"timestamp": 1_700_000_000_000, "action": action, **fields})
    )


def test_status_follows_the_event_files(tmp_path: Path) -> None:
    """No start: pending; start only: running; stop: its return code or the status it names."""
    assert status_of(str(tmp_path))["status"] == "Pending"
    _event(tmp_path, "start", job_id=42)
    running = status_of(str(tmp_path))
    assert (running["status"], running["started"], running["job_id"]) == ("Running", 1.7e9, 42)
    _event(tmp_path, "stop", return_code=0, detail="status: Completed")
    assert status_of(str(tmp_path))["status"] == "Completed"
    _event(tmp_path, "stop", return_code=1, detail="status: Cancelled")
    assert status_of(str(tmp_path))["status"] == "Cancelled"
    _event(tmp_path, "stop", return_code=7)
    failed = status_of(str(tmp_path))
    assert (failed["status"], failed["return_code"]) == ("Failed", 7)
    (tmp_path / "stop.json").write_text('{"timestamp": 1')  # caught mid-write: still running
    assert status_of(str(tmp_path))["status"] == "Running"


def test_snapshot_of_the_sample(tmp_path: Path) -> None:
    """Models, ensemble members with params, the shard with its metrics, counts, statuses."""
    snapshot, files = load_snapshot(str(make_experiment(tmp_path)), tails=True)
    assert snapshot["found"] and snapshot["schema"] == "0.0.4"
    assert snapshot["experiment"]["status"] == "Running"  # ens_1 and the shard still run
    by_name = {m["name"]: m for m in snapshot["models"]}
    assert by_name["bad"]["status"] == "Failed" and by_name["bad"]["return_code"] == 3
    assert by_name["bad"]["err_tail"] == "bad: something broke"
    assert by_name["good"]["exe"] == "/usr/bin/python3"
    members = snapshot["ensembles"][0]["members"]
    assert [(m["name"], m["params"], m["status"]) for m in members] == [
        ("ens_0", {"alpha": "1"}, "Completed"),
        ("ens_1", {"alpha": "2"}, "Running"),
    ]
    assert snapshot["ensembles"][0]["counts"] == {"Completed": 1, "Running": 1}
    shard = snapshot["databases"][0]["shards"][0]
    assert (shard["hostname"], shard["port"], shard["status"]) == ("127.0.0.1", 6780, "Running")
    assert len(shard["memory"]) == 6 and shard["memory"][-1][1] == 2_250_000.0
    assert [row[1] for row in shard["client_counts"]] == [1, 2, 3, 1, 2, 3]
    assert shard["clients"] == [{"client_id": "15", "address": "127.0.0.1:50005"}]
    assert snapshot["counts"] == {"Completed": 2, "Failed": 1, "Running": 1}
    assert files[by_name["bad"]["id"]] == (by_name["bad"]["out_file"], by_name["bad"]["err_file"])


def test_no_manifest_is_a_waiting_snapshot_or_an_error(tmp_path: Path) -> None:
    """The live page waits for telemetry; a report refuses, saying where it looked."""
    snapshot, files = load_snapshot(str(tmp_path))
    assert not snapshot["found"] and files == {}
    assert snapshot["experiment"]["status"] == "Waiting for telemetry"
    with pytest.raises(TelemetryNotFound, match="manifest.json"):
        write_report(str(tmp_path))


def test_csv_cache_reads_only_what_was_added(tmp_path: Path) -> None:
    """Appended rows are picked up, a partial last line waits, headers are skipped anywhere."""
    path = tmp_path / "memory.csv"
    cache = CsvCache()
    assert cache.rows(str(path)) == []
    path.write_text("timestamp,used\n1000000000000,5\n1000000005000,")
    assert cache.rows(str(path)) == [["1000000000000", "5"]]
    with path.open("a") as file:
        file.write("6\ntimestamp,used\n1000000010000,7\n")
    assert [r[1] for r in cache.rows(str(path))] == ["5", "6", "7"]
    path.write_text("1000000020000,1\n")  # replaced by a shorter file: read again from its start
    assert cache.rows(str(path)) == [["1000000020000", "1"]]


def test_readers_helpers(tmp_path: Path) -> None:
    """Tails keep the end of a file whole lines only; timestamps in any unit become seconds."""
    big = tmp_path / "big.out"
    big.write_text("".join(f"line {i}\n" for i in range(10_000)))
    text = tail(str(big), max_bytes=1000, max_lines=5)
    assert text is not None and text.splitlines() == [f"line {i}" for i in range(9995, 10_000)]
    assert tail(str(big), max_bytes=100, max_lines=1000).splitlines()[0].startswith("line ")
    assert tail(str(tmp_path / "missing")) is None
    assert {to_seconds(v) for v in (1.7e9, 1.7e12, 1.7e15, 1.7e18)} == {1.7e9}
    assert to_seconds("x") is None
    rows = [[str(i)] for i in range(1000)]
    thinned = downsample(rows, 10)
    assert len(thinned) == 10 and thinned[0] == ["0"] and thinned[-1] == ["999"]


def test_report_is_self_contained(tmp_path: Path) -> None:
    """Data embedded (a hostile output cannot close the script), no external URL anywhere."""
    exp = make_experiment(tmp_path / "exp")
    (exp / "good" / "good.out").write_text("</script><script>alert(1)</script>\n")
    path = write_report(str(exp), str(tmp_path / "out" / "r.html"))
    page = Path(path).read_text()
    assert path == str(tmp_path / "out" / "r.html")
    assert page.count("</script>") == 2  # the data's and the page's own
    svg_namespace = "http://www.w3.org/2000/svg"  # a name, never fetched
    assert "http://" not in page.replace(svg_namespace, "") and "https://" not in page
    assert "default-src 'none'" in page and "connect-src" not in page
    assert 'window.SMARTSIM_SNAPSHOT = {"found":true' in page
    assert "<title>SmartSim: sample-exp</title>" in render_page("sample-exp")


def test_server_routes_and_clean_stop(tmp_path: Path) -> None:
    """Page, snapshot, tails of known entities only; 404 otherwise; the port is closed after."""
    exp = make_experiment(tmp_path)
    with DashboardServer(str(exp), port=0) as server:
        server.start()
        status, page = _get(server.url)
        assert status == 200 and b"SMARTSIM_SNAPSHOT = " not in page and b"api/snapshot" in page
        status, body = _get(server.url + "api/snapshot")
        snapshot = json.loads(body)
        bad = next(m for m in snapshot["models"] if m["name"] == "bad")
        assert "out_tail" not in bad  # the live page asks for tails one entity at a time
        status, body = _get(server.url + f"api/tail?id={bad['id']}")
        assert json.loads(body) == {"out": "hello from bad", "err": "bad: something broke"}
        assert _get(server.url + "api/tail?id=../../etc/passwd")[0] == 404
        assert _get(server.url + "nothing")[0] == 404
        url = server.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "api/snapshot", timeout=2)


def test_server_keeps_the_last_snapshot_when_the_manifest_is_mid_write(tmp_path: Path) -> None:
    """A manifest caught half-written serves the previous snapshot instead of an error."""
    exp = make_experiment(tmp_path)
    manifest = exp / ".smartsim" / "telemetry" / "manifest.json"
    with DashboardServer(str(exp), port=0) as server:
        server.start()
        manifest.write_text('{"schema info": ')
        time.sleep(FRESH_FOR + 0.1)  # the snapshot made at start is stale: a read is attempted
        status, body = _get(server.url + "api/snapshot")
        assert status == 200 and json.loads(body)["found"]


def test_smart_report_and_dashboard_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``smart report`` writes and prints the file; both refuse what is not an experiment."""
    exp = make_experiment(tmp_path / "exp")
    assert main(["report", str(exp), "-o", str(tmp_path / "r.html")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "r.html")
    assert main(["report", "-d", str(exp)]) == 0
    assert (exp / "report.html").is_file()
    assert main(["report", str(tmp_path / "none")]) == 1
    assert main(["report", str(tmp_path)]) == 1
    assert "no telemetry manifest" in capsys.readouterr().err
    assert main(["dashboard", str(tmp_path / "none")]) == 1
    with DashboardServer(str(exp), port=0) as busy:
        port = int(busy.url.rsplit(":", 1)[1].strip("/"))
        assert main(["dashboard", str(exp), "--port", str(port)]) == 1
    assert "choose another with --port" in capsys.readouterr().err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_smart_dashboard_process_serves_until_signalled(tmp_path: Path, stop: int) -> None:
    """``smart dashboard`` prints its URL, serves, and exits 0 promptly on SIGTERM or Ctrl-C."""
    exp = make_experiment(tmp_path)
    argv = [sys.executable, "-m", "smartsim._core.cli", "dashboard", str(exp), "--port", "0"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as proc:
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            url = line.split(": ", 1)[1].split()[0]
            assert url.startswith("http://127.0.0.1:")
            assert _get(url + "api/snapshot")[0] == 200
            proc.send_signal(stop)
            assert proc.wait(timeout=10) == 0
        finally:
            proc.kill()


def test_report_tails_shrink_when_the_outputs_are_many() -> None:
    """A report embeds whole tails for a few jobs, and less of each for thousands."""
    few = {"runs": [{"model": [{}] * 3}]}
    many = {"runs": [{"ensemble": [{"models": [{}] * 2000}], "orchestrator": [{"shards": [{}]}]}]}
    huge = {"runs": [{"ensemble": [{"models": [{}] * 100_000}]}]}
    assert _tail_budget(few) == TAIL_BYTES
    assert MIN_TAIL_BYTES < _tail_budget(many) < TAIL_BYTES
    assert _tail_budget(many) * 2 * 2002 <= REPORT_TAILS_BYTES  # 2 files a job, and the log
    assert _tail_budget(huge) == MIN_TAIL_BYTES


def test_loopback_dashboard_answers_only_to_loopback_host_names(tmp_path: Path) -> None:
    """A request naming another host (a rebound DNS name) is refused; loopback names work."""
    with DashboardServer(str(make_experiment(tmp_path)), port=0) as server:
        server.start()
        port = server.url.rsplit(":", 1)[1].strip("/")
        for host, status in (("evil.example", 421), ("localhost", 200), ("127.0.0.1", 200)):
            request = urllib.request.Request(server.url + "api/snapshot")
            request.add_unredirected_header("Host", f"{host}:{port}")
            try:
                with urllib.request.urlopen(request, timeout=10) as reply:
                    assert (host, reply.status) == (host, status)
            except urllib.error.HTTPError as error:
                assert (host, error.code) == (host, status)
