"""``smart teardown``: stop what an experiment's driver left running."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from smartsim._core.teardown import teardown

HELP = "Clean up allocated resources after an experiment terminates"


def configure(parser: argparse.ArgumentParser) -> None:
    """Experiment directories, and SmartSim's ``--dragon``."""
    parser.add_argument(
        "exp_paths", nargs="*", default=[os.getcwd()], help="experiment directories (default: .)"
    )
    parser.add_argument(
        "--dragon",
        action="store_true",
        help="also run dragon-cleanup for Dragon runtime resources left after the experiment",
    )


def run(args: argparse.Namespace) -> int:
    """Stop what the experiments in ``args.exp_paths`` left running (and Dragon's leftovers)."""
    for path in args.exp_paths:
        stopped = teardown(os.path.abspath(path))
        if not stopped:
            print(f"{path}: nothing of this experiment is running")
        for job in stopped:
            what = "pid" if job.launcher == "local" else f"{job.launcher} job"
            print(f"{path}: stopped {job.kind} {job.name} ({what} {job.job_id})")
    if not args.dragon:
        return 0
    beside = os.path.join(os.path.dirname(sys.executable), "dragon-cleanup")
    cleanup = beside if os.access(beside, os.X_OK) else shutil.which("dragon-cleanup")
    if cleanup is None:
        print("dragon-cleanup is not on PATH (is dragonhpc installed?)")
        return 1
    return subprocess.run([cleanup], check=False).returncode
