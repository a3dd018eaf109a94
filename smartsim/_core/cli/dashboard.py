"""``smart dashboard`` (a live local page of an experiment) and ``smart report`` (one HTML file).

Both read the experiment's telemetry (``<exp_path>/.smartsim/telemetry``); see
:mod:`smartsim._core.dashboard`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import types

from smartsim._core.dashboard import DashboardServer, TelemetryNotFound, write_report

HELP = "Serve a live dashboard of an experiment on a local web page"
REPORT_HELP = "Write an experiment's dashboard as one self-contained HTML file"


def _experiment_arguments(parser: argparse.ArgumentParser) -> None:
    """The experiment directory: positional, or SmartDashboard's ``-d/--directory``."""
    parser.add_argument(
        "exp_path", nargs="?", default=None, help="the experiment directory (default: .)"
    )
    parser.add_argument(
        "-d",
        "--directory",
        dest="directory",
        default=None,
        help="the experiment directory (SmartDashboard's spelling)",
    )


def _exp_path(args: argparse.Namespace) -> str | None:
    """The experiment directory asked for, absolute; None (after saying why) if it is not one."""
    path = os.path.abspath(args.exp_path or args.directory or os.getcwd())
    if not os.path.isdir(path):
        print(f"{path}: not a directory", file=sys.stderr)
        return None
    return path


def configure(parser: argparse.ArgumentParser) -> None:
    """The experiment directory, ``--host`` and ``--port``."""
    _experiment_arguments(parser)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=8501,
        help="port to listen on (default: 8501; 0 picks a free one)",
    )


def _stop_on_sigterm(signum: int, frame: types.FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted (Ctrl-C or SIGTERM)."""
    exp_path = _exp_path(args)
    if exp_path is None:
        return 1
    try:
        server = DashboardServer(exp_path, host=args.host, port=args.port)
    except OSError as error:
        reason = error.strerror or error
        print(
            f"smart dashboard: cannot listen on {args.host}:{args.port}: {reason} "
            "(choose another with --port)",
            file=sys.stderr,
        )
        return 1
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"smart dashboard: listening on {args.host}: whoever reaches this address sees the "
            "experiment's outputs",
            file=sys.stderr,
        )
    print(f"SmartSim dashboard of {exp_path}: {server.url} (Ctrl-C stops it)", flush=True)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
    return 0


def configure_report(parser: argparse.ArgumentParser) -> None:
    """The experiment directory and ``-o``."""
    _experiment_arguments(parser)
    parser.add_argument(
        "-o", "--output", default=None, help="the file to write (default: <exp_path>/report.html)"
    )


def run_report(args: argparse.Namespace) -> int:
    """Write the report and print its path."""
    exp_path = _exp_path(args)
    if exp_path is None:
        return 1
    try:
        path = write_report(exp_path, args.output)
    except TelemetryNotFound as error:
        print(
            f"smart report: {error} (start the experiment with telemetry enabled)", file=sys.stderr
        )
        return 1
    print(path)
    return 0
