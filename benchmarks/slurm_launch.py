"""Slurm launch cost: ``exp.start`` of a 32-member ensemble of ``true`` as steps in one
allocation, until every member is known to have completed.

Also times the same 32 ``srun`` commands started together from a shell loop (the floor set by
Slurm's own step creation) so that the figures compare. Needs a running Slurm (SLURM_CONF);
start the test one with ``eval "$(bash scripts/slurm/up.sh)"``.
Usage: .venv/bin/python benchmarks/slurm_launch.py [--members N] [--repeats N] [--exact]
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
from smartsim.wlm import slurm


def srun_loop(alloc: str, members: int, exact: bool) -> float:
    """Start ``members`` sruns of ``true`` at once in the allocation and wait for all."""
    extra = ["--exact"] if exact else []
    start = time.perf_counter()
    procs = [
        subprocess.Popen(["srun", f"--jobid={alloc}", *extra, "true"], stderr=subprocess.DEVNULL)
        for _ in range(members)
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - start


def smartsim_start(alloc: str, members: int, exact: bool) -> tuple[float, int]:
    """exp.start(ensemble, block=True); its wall time and the number of sacct queries."""
    root = tempfile.mkdtemp(prefix="ss-slurm-bench-")
    try:
        exp = Experiment("bench", exp_path=root, launcher="slurm")
        run_args: dict[str, str | None] = {"jobid": alloc}
        if exact:
            run_args["exact"] = None
        settings = exp.create_run_settings("true", run_args=run_args)
        ensemble = exp.create_ensemble("ens", run_settings=settings, replicas=members)
        launcher = exp._control.launcher
        queries = 0
        run = launcher.run

        def counting(argv: list[str], stdin: str | None = None) -> tuple[int, str, str]:
            nonlocal queries
            queries += argv[0] == "sacct"
            return run(argv, stdin)

        launcher.run = counting  # type: ignore[method-assign]
        start = time.perf_counter()
        exp.start(ensemble, block=True)
        elapsed = time.perf_counter() - start
        statuses = set(exp.get_status(ensemble))
        assert statuses == {SmartSimStatus.STATUS_COMPLETED}, statuses
        return elapsed, queries
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Print the median of each measurement over the repeats."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--members", type=int, default=32)
    args.add_argument("--repeats", type=int, default=5)
    args.add_argument("--exact", action="store_true", help="srun --exact: one CPU per step")
    opts = args.parse_args()
    os.environ.setdefault("SMARTSIM_JM_INTERVAL", "10")
    alloc = slurm.get_allocation(nodes=1, time="00:10:00", options={"exclusive": None})
    try:
        loops, starts, queries = [], [], []
        for _ in range(opts.repeats):
            loops.append(srun_loop(alloc, opts.members, opts.exact))
            elapsed, count = smartsim_start(alloc, opts.members, opts.exact)
            starts.append(elapsed)
            queries.append(count)
    finally:
        slurm.release_allocation(alloc)
    loop, start = statistics.median(loops), statistics.median(starts)
    rows = [[opts.members, f"{loop:.3f}", f"{start:.3f}", f"{start / loop:.2f}",
             statistics.median(queries)]]  # fmt: skip
    print(
        tabulate(
            rows,
            ["members", "srun loop (s)", "exp.start (s)", "ratio", "sacct queries"],
            tablefmt="github",
        )
    )


if __name__ == "__main__":
    main()
