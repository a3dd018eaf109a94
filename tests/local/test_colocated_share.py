"""Ranks of one job on one node share one colocated database (the entrypoint run per task)."""

from __future__ import annotations

import subprocess
import sys

import psutil

from smartsim._core.utils.network import find_free_ports

RANK = (
    "import os, sys, time\n"
    "from smartredis.wire.connection import Connection\n"
    "conn = Connection(os.environ['SSDB'])\n"
    "info = conn.execute('INFO', 'server').decode()\n"
    "run_id = next(l for l in info.splitlines() if l.startswith('run_id:'))\n"
    "conn.execute('INCR', 'ranks')\n"
    "time.sleep(float(sys.argv[1]))\n"
    "print(run_id, int(conn.execute('GET', 'ranks')))\n"
)


def test_ranks_on_one_node_share_one_database(tmp_path):
    port = find_free_ports(1)
    env = {"SSDB": f"127.0.0.1:{port}"}
    entry = [
        sys.executable,
        "-m",
        "smartsim._core.entrypoints.colocated",
        "--name",
        "rank",
        "--port",
        str(port),
        "--share-key",
        f"launch-{port}",
        "--",
    ]
    ranks = [
        subprocess.Popen(
            [*entry, sys.executable, "-c", RANK, pause],
            cwd=tmp_path,
            env={**psutil.Process().environ(), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for pause in ("0.1", "1.0", "0.5")
    ]
    outputs = [rank.communicate(timeout=60) for rank in ranks]
    assert [rank.returncode for rank in ranks] == [0, 0, 0], outputs
    run_ids = {out.split()[0] for out, _ in outputs}
    assert len(run_ids) == 1, outputs  # one server answered every rank
    assert max(int(out.split()[1]) for out, _ in outputs) == 3
    log = (tmp_path / "rank-colocated-db.log").read_text()
    assert log.count("Ready to accept connections") == 1
