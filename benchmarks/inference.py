"""In-database inference: run_model through the Orchestrator's worker against the same model
called in the caller's own process (the floor), for 1, 4 and 16 concurrent callers.

Each caller is a thread with its own Client that puts its input, runs the model and gets the
output (one request = put + run_model + get). Prints requests/s and latency percentiles, the
ratio to the floor, and the latency of the first run_model after set_model.
Usage: .venv/bin/python benchmarks/inference.py [--seconds S]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

import numpy as np
import torch
from tabulate import tabulate

from smartredis import Client
from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports

CALLERS = (1, 4, 16)


def mlp() -> torch.nn.Module:
    """A small MLP: 32 inputs, two hidden layers of 64, 8 outputs."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(32, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 8),
    ).eval()


def run_callers(
    callers: int, seconds: float, call: Callable[[int], None]
) -> tuple[float, list[float]]:
    """Run ``call(i)`` in ``callers`` threads for ``seconds``; (requests/s, latencies in s)."""
    latencies: list[list[float]] = [[] for _ in range(callers)]
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(callers)

    def loop(index: int) -> None:
        barrier.wait()
        own = latencies[index]
        while time.perf_counter() < stop:
            start = time.perf_counter()
            call(index)
            own.append(time.perf_counter() - start)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(callers)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begin
    flat = [x for own in latencies for x in own]
    return len(flat) / elapsed, flat


def percentiles(latencies: list[float]) -> str:
    """p50/p95/p99 in ms."""
    q = statistics.quantiles(latencies, n=100)
    return f"{q[49] * 1000:.2f} / {q[94] * 1000:.2f} / {q[98] * 1000:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    module = mlp()
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buffer)
    blob = buffer.getvalue()
    x = np.random.default_rng(0).random((1, 32), dtype=np.float32)

    root = tempfile.mkdtemp(prefix="inference-bench-")
    exp = Experiment("bench", exp_path=root)
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    exp.start(db)
    try:
        os.environ["SSDB"], os.environ["SR_DB_TYPE"] = db.get_address()[0], "Standalone"
        setup = Client()
        setup.set_model("warm", blob, "TORCH")  # the worker imports torch once
        setup.put_tensor("first_in", x)
        start = time.perf_counter()
        setup.set_model("mlp", blob, "TORCH")
        stored = time.perf_counter()
        setup.run_model("mlp", "first_in", "first_out")
        first = time.perf_counter()

        clients = [Client() for _ in range(max(CALLERS))]

        def remote(index: int) -> None:
            client = clients[index]
            client.put_tensor(f"in{index}", x)
            client.run_model("mlp", f"in{index}", f"out{index}")
            client.get_tensor(f"out{index}")

        def local(index: int) -> None:
            with torch.no_grad():
                module(torch.from_numpy(x)).numpy()

        rows = []
        for callers in CALLERS:
            floor_rate, floor_lat = run_callers(callers, args.seconds, local)
            rate, lat = run_callers(callers, args.seconds, remote)
            rows.append(
                [
                    callers,
                    f"{floor_rate:,.0f}",
                    percentiles(floor_lat),
                    f"{rate:,.0f}",
                    percentiles(lat),
                    f"{rate / floor_rate:.3f}",
                ]
            )
        headers = [
            "callers",
            "in-process req/s",
            "in-process p50/p95/p99 ms",
            "run_model req/s",
            "run_model p50/p95/p99 ms",
            "ratio",
        ]
        print(tabulate(rows, headers, tablefmt="github"))
        print()
        print(
            f"set_model: {(stored - start) * 1000:.1f} ms; first run_model after it: "
            f"{(first - stored) * 1000:.1f} ms"
        )
    finally:
        exp.stop(db)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
