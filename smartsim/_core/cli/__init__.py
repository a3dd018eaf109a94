"""The ``smart`` command: SmartSim 0.8's subcommands, each doing what it means here.

``info``, ``validate``, ``dbcli``, ``site``, ``build``, ``clean``, ``clobber`` and
``teardown``. Each lives in a module of this package with a ``configure(parser)`` and a
``run(args) -> exit status``.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing as t
from dataclasses import dataclass

from . import clean, dashboard, dbcli, info, install, teardown, validate


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, argument setup and handler."""

    name: str
    help: str
    run: t.Callable[[argparse.Namespace], int]
    configure: t.Callable[[argparse.ArgumentParser], None] | None = None
    lenient: bool = False
    """Unknown options are accepted and ignored (``build`` takes SmartSim's build flags)."""


COMMANDS = (
    Command("build", install.BUILD_HELP, install.run_build, install.configure_build, True),
    Command("clean", clean.CLEAN_HELP, clean.run_clean, clean.configure),
    Command("clobber", clean.CLOBBER_HELP, clean.run_clobber, clean.configure),
    Command("dbcli", dbcli.HELP, dbcli.run, dbcli.configure),
    Command("site", install.SITE_HELP, install.run_site),
    Command("validate", validate.HELP, validate.run, validate.configure),
    Command("info", info.HELP, info.run),
    Command("teardown", teardown.HELP, teardown.run, teardown.configure),
    Command("dashboard", dashboard.HELP, dashboard.run, dashboard.configure),
    Command("report", dashboard.REPORT_HELP, dashboard.run_report, dashboard.configure_report),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``smart`` parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="smart", description="SmartSim command line interface")
    sub = parser.add_subparsers(dest="command", metavar="<command>", help="Available commands")
    for command in COMMANDS:
        child = sub.add_parser(command.name, help=command.help, description=command.help)
        if command.configure:
            command.configure(child)
        child.set_defaults(handler=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smart`` command; the exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    command: Command | None = getattr(args, "handler", None)
    if command is None:
        parser.print_help()
        return os.EX_USAGE
    if unknown and not command.lenient:
        parser.parse_args(argv)  # reports the unknown arguments and exits 2
    if unknown:
        args.ignored = unknown
    return command.run(args)


if __name__ == "__main__":
    sys.exit(main())
