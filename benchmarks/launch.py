"""Launch cost: ``exp.start(ensemble, block=True)`` against a plain Popen + wait loop.

Runs both for ensembles of 16, 64 and 256 members executing ``true`` and prints the median
wall time of several repeats and their ratio, all in one run so the figures compare. A third
column does by hand what a launch must do (directory, output files, session, cwd, env).
Usage: .venv/bin/python benchmarks/launch.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from tabulate import tabulate

from smartsim import Experiment
from smartsim.status import SmartSimStatus

SIZES = (16, 64, 256)


def plain_loop(n: int, exe: str) -> float:
    """Start n children, then wait for all of them."""
    start = time.perf_counter()
    procs = [subprocess.Popen([exe]) for _ in range(n)]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - start


def equivalent_loop(n: int, exe: str) -> float:
    """The plain loop doing what a launch must: a directory and .out/.err files per job, and
    each child in its own session with its own working directory and environment."""
    root = tempfile.mkdtemp(prefix="ss-bench-")
    env = dict(os.environ)
    try:
        start = time.perf_counter()
        procs = []
        for i in range(n):
            cwd = os.path.join(root, f"m_{i}")
            os.makedirs(cwd)
            with open(f"{cwd}/m.out", "wb") as out, open(f"{cwd}/m.err", "wb") as err:
                procs.append(
                    subprocess.Popen(
                        [exe],
                        cwd=cwd,
                        env={**env, "SSKEYOUT": f"m_{i}"},
                        stdout=out,
                        stderr=err,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                )
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start
    finally:
        shutil.rmtree(root, ignore_errors=True)


def smartsim_start(n: int, exe: str) -> float:
    """exp.start(ensemble of n replicas, block=True) in a fresh experiment directory."""
    root = tempfile.mkdtemp(prefix="ss-bench-")
    try:
        exp = Experiment("bench", exp_path=root, launcher="local")
        settings = exp.create_run_settings(exe)
        ensemble = exp.create_ensemble("ens", run_settings=settings, replicas=n)
        start = time.perf_counter()
        exp.start(ensemble, block=True)
        elapsed = time.perf_counter() - start
        statuses = set(exp.get_status(ensemble))
        assert statuses == {SmartSimStatus.STATUS_COMPLETED}, statuses
        return elapsed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def exit_latency(exe: str) -> tuple[float, float]:
    """Seconds from launch until the exit is known: plain Popen.wait vs exp.finished()."""
    start = time.perf_counter()
    subprocess.Popen([exe]).wait()
    plain = time.perf_counter() - start
    root = tempfile.mkdtemp(prefix="ss-bench-")
    try:
        exp = Experiment("latency", exp_path=root, launcher="local")
        model = exp.create_model("one", exp.create_run_settings(exe))
        start = time.perf_counter()
        exp.start(model, block=False)
        while not exp.finished(model):
            time.sleep(0.0005)
        return plain, time.perf_counter() - start
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    exe = shutil.which("true") or "/bin/true"
    smartsim_start(4, exe)  # warm up imports, the watcher thread and the page cache
    rows = []
    for n in SIZES:
        plain = statistics.median(plain_loop(n, exe) for _ in range(args.repeats))
        same_work = statistics.median(equivalent_loop(n, exe) for _ in range(args.repeats))
        ours = statistics.median(smartsim_start(n, exe) for _ in range(args.repeats))
        rows.append(
            [
                n,
                f"{plain:.4f}",
                f"{same_work:.4f}",
                f"{ours:.4f}",
                f"{ours / plain:.2f}",
                f"{ours / same_work:.2f}",
            ]
        )
    headers = [
        "members",
        "Popen+wait (s)",
        "same work by hand (s)",
        "exp.start (s)",
        "ratio",
        "ratio to same work",
    ]
    print(tabulate(rows, headers, tablefmt="github"))
    latencies = [exit_latency(exe) for _ in range(args.repeats)]
    plain_l = statistics.median(p for p, _ in latencies)
    ours_l = statistics.median(o for _, o in latencies)
    print()
    print(
        tabulate(
            [["launch to exit known, one `true`", f"{plain_l * 1000:.2f}", f"{ours_l * 1000:.2f}"]],
            ["", "Popen.wait (ms)", "start+finished (ms)"],
            tablefmt="github",
        )
    )


if __name__ == "__main__":
    main()
