"""``smart clean`` and ``smart clobber``: remove what runs left behind that nothing uses.

SmartSim 0.8's commands removed what ``smart build`` had installed; nothing is built here.
What this library leaves behind is bookkeeping, so that is what they remove:

- ``clean``: in the temporary directory, colocated databases' rank counters and address
  locks that no running database uses; in each experiment, checkpoints
  (``<db>/smartsim_db.dat``) of databases that no longer answer.
- ``clobber``: ``clean``, then each experiment's ``.smartsim`` directory (the job record
  ``smart teardown`` reads) once nothing recorded there runs any more.

Neither touches an entity's directory or output, nor anything that still runs.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil

from smartsim._core.control import checkpoint
from smartsim._core.control.jobrecord import RECORD_DIR
from smartsim._core.entrypoints.nodeshare import sweep
from smartsim._core.teardown import live_jobs, unfinished_scheduler_jobs
from smartsim.database.orchestrator import CHECKPOINT_NAME

CLEAN_HELP = "Remove stale files of ended runs (temporary files, dead database checkpoints)"
CLOBBER_HELP = "clean, then each experiment's .smartsim records once nothing there runs"


def configure(parser: argparse.ArgumentParser) -> None:
    """Experiment directories (default: the current one)."""
    parser.add_argument(
        "exp_paths", nargs="*", default=[os.getcwd()], help="experiment directories (default: .)"
    )


def _checkpoint_files(exp_path: str) -> list[str]:
    """The database checkpoints generated in an experiment."""
    return sorted(glob.glob(os.path.join(glob.escape(exp_path), "*", CHECKPOINT_NAME)))


def _clean(exp_paths: list[str]) -> list[str]:
    """Remove stale temporary files and dead databases' checkpoints; what was removed."""
    removed = sweep()
    for exp_path in exp_paths:
        for path in _checkpoint_files(exp_path):
            if checkpoint.live_database(path) is None:
                os.remove(path)
                removed.append(path)
    return removed


def _still_running(exp_path: str) -> list[str]:
    """What recorded in the experiment still runs, described for a person."""
    running = [f"{job.kind} {job.name} (pid {job.job_id})" for job in live_jobs(exp_path)]
    running += unfinished_scheduler_jobs(exp_path)
    for path in _checkpoint_files(exp_path):
        identifier = checkpoint.live_database(path)
        if identifier is not None:
            running.append(f"database {identifier}")
    return running


def run_clean(args: argparse.Namespace) -> int:
    """``smart clean``: print each file removed."""
    paths = [os.path.abspath(path) for path in args.exp_paths]
    removed = _clean(paths)
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print("nothing to clean")
    return 0


def run_clobber(args: argparse.Namespace) -> int:
    """``smart clobber``: 1 when an experiment still runs something (its records are kept)."""
    status = run_clean(args)
    for exp_path in (os.path.abspath(path) for path in args.exp_paths):
        records = os.path.join(exp_path, RECORD_DIR)
        if not os.path.isdir(records):
            continue
        running = _still_running(exp_path)
        if running:
            print(f"{exp_path}: kept {records}: still running: {', '.join(running)}")
            print("  (stop them with `smart teardown`, then clobber again)")
            status = 1
            continue
        shutil.rmtree(records)
        print(f"removed {records}")
    return status
