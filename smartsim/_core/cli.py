"""The ``smart`` command: ``smart info`` and ``smart teardown``."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys

from smartsim import __version__
from smartsim._core.config import find_ai_module, find_database_exe
from smartsim._core.teardown import teardown
from smartsim.error import SSConfigError
from smartsim.wlm import detect_launcher


def database_version(exe: str) -> str:
    """What the server binary says of its version."""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(could not run it: {exc})"
    return out.stdout.strip() or out.stderr.strip()


def info() -> int:
    """Print the versions and the database binary in use."""
    print(f"smartsim {__version__} (Python {platform.python_version()}, {sys.executable})")
    try:
        exe = find_database_exe()
    except SSConfigError as exc:
        print(f"database server: not available: {exc}")
        return 1
    print(f"database server: {exe}")
    print(f"database version: {database_version(exe)}")
    try:
        module = find_ai_module()
    except SSConfigError as exc:
        print(f"AI commands: unavailable: {exc}")
    else:
        if module.path:
            print(f"AI commands (RedisAI 1.2 surface): smartsim-ai module {module.path}")
        else:
            print(f"AI commands: unavailable (models and scripts cannot run): {module.reason}")
    print(f"detected launcher: {detect_launcher()}")
    return 0


def run_teardown(paths: list[str]) -> int:
    """Stop what the experiments in ``paths`` left running."""
    for path in paths:
        stopped = teardown(os.path.abspath(path))
        if not stopped:
            print(f"{path}: nothing of this experiment is running")
        for job in stopped:
            what = "pid" if job.launcher == "local" else f"{job.launcher} job"
            print(f"{path}: stopped {job.kind} {job.name} ({what} {job.job_id})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smart`` command."""
    parser = argparse.ArgumentParser(prog="smart", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="versions and the database server binary in use")
    down = commands.add_parser(
        "teardown", help="stop the processes an experiment's driver left running"
    )
    down.add_argument(
        "exp_paths", nargs="*", default=[os.getcwd()], help="experiment directories (default: .)"
    )
    args = parser.parse_args(argv)
    if args.command == "info":
        return info()
    return run_teardown(args.exp_paths)


if __name__ == "__main__":
    sys.exit(main())
