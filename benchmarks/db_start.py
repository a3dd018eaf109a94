"""Database start-up: ``exp.start(db)`` until ready, against starting the server by hand.

For 1 shard the floor is the server binary started directly and pinged until it answers;
for 3 shards it is three such servers in cluster mode joined by the same cluster commands
(the servers hold a new cluster's state at fail for about 2 s after they start, whoever
creates it). Prints the median of several repeats and the ratio, all in one run.
Usage: .venv/bin/python benchmarks/db_start.py [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time

from tabulate import tabulate

from smartsim import Experiment
from smartsim._core.config import find_database_exe
from smartsim._core.control import dbcluster
from smartsim._core.entrypoints.server import server_argv
from smartsim._core.utils.network import find_free_ports


def by_hand(shards: int) -> float:
    """Start the server binary directly, ping until ready, cluster it when several."""
    exe = find_database_exe()
    workdir = tempfile.mkdtemp(prefix="db-bench-")
    first = find_free_ports(shards, cluster=shards > 1)
    ports = list(range(first, first + shards))
    procs: list[subprocess.Popen] = []
    try:
        start = time.perf_counter()
        for port in ports:
            conf = f"nodes-{port}.conf" if shards > 1 else None
            argv = server_argv(
                exe, port=port, workdir=workdir, bind=["127.0.0.1"], cluster_config_file=conf
            )
            procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, cwd=workdir))
        addresses = [f"127.0.0.1:{port}" for port in ports]

        def dead() -> str | None:
            return next((str(p.pid) for p in procs if p.poll() is not None), None)

        dbcluster.wait_until_answering(addresses, dead, 60)
        if shards > 1:
            dbcluster.create_cluster(addresses, dead, 60)
        return time.perf_counter() - start
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def through_experiment(shards: int) -> float:
    """exp.start(db) for a database of ``shards`` shards on loopback."""
    root = tempfile.mkdtemp(prefix="db-bench-")
    exp = Experiment("bench", exp_path=root, launcher="local")
    db = exp.create_database(
        port=find_free_ports(shards, cluster=shards > 1), db_nodes=shards, interface="lo"
    )
    try:
        start = time.perf_counter()
        exp.start(db)
        return time.perf_counter() - start
    finally:
        exp.stop(db)
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for shards in (1, 3):
        floor = statistics.median(by_hand(shards) for _ in range(args.repeats))
        ours = statistics.median(through_experiment(shards) for _ in range(args.repeats))
        rows.append([shards, f"{floor:.3f}", f"{ours:.3f}", f"{ours / floor:.2f}"])
    headers = ["shards", "by hand (s)", "exp.start(db) (s)", "ratio"]
    print(tabulate(rows, headers, tablefmt="github"))


if __name__ == "__main__":
    main()
