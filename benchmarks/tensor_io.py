"""Tensor put+get throughput through ``smartredis.Client`` against raw redis-py SET/GET.

One database (started through ``Experiment``), float32 tensors of 8 B to 16 MiB. A round is one
put and one get of the same key; ops/s counts rounds, MB/s the tensor bytes moved both ways
(2 x size per round). redis-py sends and fetches the tensor's raw bytes (``arr.tobytes()``,
made once), so the ratio shows what the client adds: the header, checks, array creation.
Each cell is the median of several interleaved timed runs of about ``--seconds`` each.
Usage: .venv/bin/python benchmarks/tensor_io.py [--seconds S] [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import typing as t

import numpy as np
import redis
from tabulate import tabulate

from smartredis import Client
from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports

SIZES = [
    ("8 B", 8),
    ("1 KiB", 1 << 10),
    ("64 KiB", 64 << 10),
    ("1 MiB", 1 << 20),
    ("16 MiB", 16 << 20),
]


def _rounds_per_second(round_trip: t.Callable[[], None], seconds: float) -> float:
    """Rounds per second over about ``seconds`` (after one warm-up round)."""
    round_trip()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        round_trip()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def _mb(rate: float) -> str:
    return f"{rate:,.1f}" if rate >= 10 else f"{rate:.2f}"


def measure(address: str, nbytes: int, seconds: float, repeats: int) -> tuple[float, float]:
    """(client rounds/s, redis-py rounds/s) for a float32 tensor of ``nbytes``."""
    array = np.random.default_rng(0).random(nbytes // 4, dtype=np.float32)
    raw = array.tobytes()
    client = Client(cluster=False, address=address)
    host, port = address.rsplit(":", 1)
    plain = redis.Redis(host=host, port=int(port))

    def through_client() -> None:
        client.put_tensor("bench_tensor", array)
        client.get_tensor("bench_tensor")

    def through_redis_py() -> None:
        plain.set("bench_raw", raw)
        plain.get("bench_raw")

    through_client()
    assert np.array_equal(client.get_tensor("bench_tensor"), array)
    through_redis_py()
    assert plain.get("bench_raw") == raw
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(_rounds_per_second(through_client, seconds))
        theirs.append(_rounds_per_second(through_redis_py, seconds))
    plain.close()
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="tensor-io-")
    exp = Experiment("tensor_io", exp_path=root, launcher="local")
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    exp.start(db)
    try:
        address = db.get_address()[0]
        rows = []
        for label, nbytes in SIZES:
            ours, theirs = measure(address, nbytes, args.seconds, args.repeats)
            mb = 2 * nbytes / 1e6
            rows.append(
                [label, f"{ours:,.0f}", _mb(ours * mb), f"{theirs:,.0f}"]
                + [_mb(theirs * mb), f"{ours / theirs:.2f}"]
            )
    finally:
        exp.stop(db)
        shutil.rmtree(root, ignore_errors=True)
    headers = ["float32 tensor", "Client ops/s", "Client MB/s", "redis-py ops/s"]
    headers += ["redis-py MB/s", "ratio"]
    print(f"put+get rounds against one server at {address}, redis-py {redis.__version__}")
    align = ["left"] + ["right"] * 5
    print(tabulate(rows, headers, tablefmt="github", disable_numparse=True, colalign=align))


if __name__ == "__main__":
    main()
