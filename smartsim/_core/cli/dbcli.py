"""``smart dbcli``: a command shell to a running database of an experiment.

SmartSim 0.8 printed the path of its bundled redis-cli; there is none here, so this is the
shell itself: it finds the database from its checkpoint (``<exp_path>/<db_identifier>/
smartsim_db.dat``, with its password), or takes ``--address``, follows a cluster's
MOVED/ASK redirections, and prints replies as redis-cli does. Commands come from the
command line (one), from a terminal (a prompt), or from standard input (one per line).
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import sys
import typing as t

from smartredis.wire.connection import Address, Connection
from smartredis.wire.protocol import ProtocolError, Reply, ReplyError
from smartsim._core.control import checkpoint
from smartsim.database.orchestrator import CHECKPOINT_NAME
from smartsim.error import SmartSimError

HELP = "Open a command shell to a running database of an experiment"
_REDIRECTS = 5
"""Cluster redirections followed for one command before giving up."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Which database, and an optional single command."""
    parser.add_argument(
        "-e", "--exp-path", default=os.getcwd(), help="the experiment directory (default: .)"
    )
    parser.add_argument("--db", default=None, help="db_identifier, when it has several databases")
    parser.add_argument(
        "--address",
        default=None,
        help="host:port or unix:///path of a database (instead of the experiment's; the "
        "password, if any, is read from SR_DB_PASSWORD)",
    )
    parser.add_argument(
        "words", nargs=argparse.REMAINDER, help="a command to run (default: read commands)"
    )


def checkpoints(exp_path: str) -> dict[str, str]:
    """db_identifier -> checkpoint file, for the databases generated in ``exp_path``."""
    found: dict[str, str] = {}
    for path in sorted(glob.glob(os.path.join(glob.escape(exp_path), "*", CHECKPOINT_NAME))):
        try:
            db, _, _ = checkpoint.read(path)
        except SmartSimError:
            continue
        found[db.db_identifier] = path
    return found


def target(args: argparse.Namespace) -> tuple[str, str | None]:
    """The address to connect to and the password (None: from SR_DB_PASSWORD).

    :raises SmartSimError: no database, or several and none chosen, or it does not answer
    """
    if args.address:
        return str(Address.parse(args.address)), None
    exp_path = os.path.abspath(args.exp_path)
    found = checkpoints(exp_path)
    if not found:
        raise SmartSimError(f"No database of experiment {exp_path} is running (no checkpoint)")
    if args.db is None and len(found) > 1:
        raise SmartSimError(f"{exp_path} has databases {sorted(found)}: choose one with --db")
    chosen = args.db if args.db is not None else next(iter(found))
    if chosen not in found:
        raise SmartSimError(f"{exp_path} has no database {chosen!r} (it has {sorted(found)})")
    db, _, _ = checkpoint.read(found[chosen])
    if not db.is_active():
        raise SmartSimError(f"Database {chosen!r} of {exp_path} does not answer")
    return db.get_address()[0], db.password or ""


class Shell:
    """Sends commands to a server, following cluster redirections to other shards."""

    def __init__(self, address: str, password: str | None) -> None:
        self.address = address
        self._password = password
        self._connections: dict[str, Connection] = {}

    def _connection(self, address: str) -> Connection:
        if address not in self._connections:
            self._connections[address] = Connection(address, password=self._password)
        return self._connections[address]

    def execute(self, words: t.Sequence[str]) -> Reply:
        """One command's reply (an error reply is returned, not raised)."""
        address, asking = self.address, False
        for _ in range(_REDIRECTS):
            conn = self._connection(address)
            try:
                if asking:
                    conn.execute("ASKING")
                return conn.execute(*words)
            except ReplyError as exc:
                if exc.code not in ("MOVED", "ASK"):
                    return exc
                address, asking = str(exc).split()[2], exc.code == "ASK"
        return ReplyError(f"ERR too many cluster redirections for {words[0]}")

    def close(self) -> None:
        """Close every connection."""
        for conn in self._connections.values():
            conn.close()


def _quote(data: bytes | bytearray) -> str:
    """A bulk string as redis-cli shows it: quoted, with non-printable bytes escaped."""
    out = []
    for byte in bytes(data):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return '"' + "".join(out) + '"'


def render(reply: Reply, indent: int = 0) -> str:
    """A reply in redis-cli's layout."""
    if isinstance(reply, ReplyError):
        return f"(error) {reply}"
    if reply is None:
        return "(nil)"
    if isinstance(reply, int):
        return f"(integer) {reply}"
    if isinstance(reply, str):
        return reply
    if isinstance(reply, (bytes, bytearray)):
        return _quote(reply)
    if not reply:
        return "(empty array)"
    width = len(str(len(reply)))
    lines = []
    for number, item in enumerate(reply, 1):
        label = f"{number:>{width}}) "
        body = render(item, indent + len(label))
        prefix = " " * indent if number > 1 else ""
        lines.append(prefix + label + body)
    return "\n".join(lines)


def _lines(prompt: str) -> t.Iterator[str]:
    """Command lines typed at a prompt (a terminal) or read from standard input."""
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    try:
        import readline  # noqa: F401  (history and line editing for input())
    except ImportError:
        pass
    while True:
        try:
            yield input(prompt)
        except EOFError:
            print()
            return


def run(args: argparse.Namespace) -> int:
    """Run the one command given, or every command read; 1 if any failed."""
    try:
        address, password = target(args)
    except (SmartSimError, ValueError) as exc:
        print(f"smart dbcli: {exc}", file=sys.stderr)
        return 1
    shell = Shell(address, password)
    failed = False
    try:
        lines = [shlex.join(args.words)] if args.words else _lines(f"{address}> ")
        for line in lines:
            try:
                words = shlex.split(line)
            except ValueError:
                print("Invalid argument(s)")
                failed = True
                continue
            if not words:
                continue
            if words[0].lower() in ("quit", "exit"):
                break
            reply = shell.execute(words)
            failed |= isinstance(reply, ReplyError)
            print(render(reply))
    except (OSError, ProtocolError) as exc:
        print(f"smart dbcli: lost the connection to {address}: {exc}", file=sys.stderr)
        return 1
    finally:
        shell.close()
    return 1 if failed else 0
