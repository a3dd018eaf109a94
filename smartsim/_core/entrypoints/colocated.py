"""Entrypoint of a model with a colocated database: server first, then the application.

``python -m smartsim._core.entrypoints.colocated --name m --port 6379 -- app args...``
Starts the server (TCP on loopback and the given interfaces, or a Unix socket), waits until
the server it started answers (its ``process_id``, not just anything at the address), runs
the application, stops the server when it ends and exits with its code. An address that
something else already holds is an error: only ranks of one launch (``--share-key``) share.
With ``--password-env NAME`` the server requires the password in the environment variable
NAME (the model's ``SR_DB_PASSWORD[_<id>]``), which it reads on its standard input.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
import typing as t

from smartredis.wire import Connection, ProtocolError, ReplyError
from smartsim._core.config import find_database_exe, get_config
from smartsim._core.control import dbobjects
from smartsim._core.entrypoints.nodeshare import FAILED, AddressLock, NodeShare
from smartsim._core.entrypoints.server import (
    SERVER_UMASK,
    Workers,
    forward_signals,
    secret_config,
    server_argv,
    spawn,
    stop,
    valued_flags,
    wait,
    worker_argv,
    worker_environ,
)
from smartsim._core.utils.network import LOOPBACK, get_ip_from_interface, port_in_use

MODULE = "smartsim._core.entrypoints.colocated"
"""What ``python -m`` runs (this module's ``__name__`` is ``__main__`` when it does)."""


def argv(
    name: str,
    *,
    port: int | None = None,
    ifnames: list[str] | None = None,
    unix_socket: str | None = None,
    socket_permissions: int | None = None,
    cpus: str | None = None,
    conf: dict[str, str] | None = None,
    db_objects: str | None = None,
    module: str | None = None,
    no_module: str | None = None,
    workers: int | None = None,
    inter_op: int | None = None,
    intra_op: int | None = None,
    share_key: str | None = None,
    password_env: str | None = None,
    app: list[str] | None = None,
) -> list[str]:
    """The options that follow ``python -m smartsim._core.entrypoints.colocated``, as
    :func:`parse_args` reads them, then ``--`` and ``app`` (the launcher appends the model's
    command when ``app`` is None). None leaves an option to its default."""
    options = ["--name", name]
    if port is not None:
        options += ["--port", str(port)]
    for ifname in ifnames or []:
        options += ["--ifname", ifname]
    if unix_socket is not None:
        options += ["--unix-socket", unix_socket]
    if socket_permissions is not None:
        options += ["--socket-permissions", str(socket_permissions)]
    if cpus:
        options += ["--cpus", cpus]
    for key, conf_value in (conf or {}).items():
        options += ["--conf", key, conf_value]
    if db_objects is not None:
        options += ["--db-objects", db_objects]
    options += valued_flags(
        ("--module", module),
        ("--no-module", no_module),
        ("--workers", workers),
        ("--inter-op", inter_op),
        ("--intra-op", intra_op),
        ("--share-key", share_key),
        ("--password-env", password_env),
    )
    return [*options, "--", *(app or [])]


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The options before ``--`` and the application's command after it."""
    if "--" not in argv:
        raise SystemExit("colocated entrypoint: give the application's command after --")
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True, help="the model's name")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: no TCP)")
    parser.add_argument("--ifname", action="append", default=[], help="interface to bind too")
    parser.add_argument("--unix-socket", default=None)
    parser.add_argument("--socket-permissions", type=int, default=755)
    parser.add_argument("--cpus", default="", help="CPU ids to pin the server to, e.g. 0,1")
    parser.add_argument("--server", default=None, help="server binary (default: configured)")
    parser.add_argument("--db-objects", default=None, help="spec of ML objects to store first")
    parser.add_argument("--module", default=None, help="the smartsim-ai module to load")
    parser.add_argument("--no-module", default=None, help="why there is no module (logged)")
    parser.add_argument("--workers", type=int, default=1, help="inference workers")
    parser.add_argument("--inter-op", type=int, default=None, help="backend inter-op threads")
    parser.add_argument("--intra-op", type=int, default=None, help="backend intra-op threads")
    parser.add_argument(
        "--share-key",
        default=None,
        help="the launch's token: ranks on one node with the same token share one database "
        "(none: this process starts its own)",
    )
    parser.add_argument(
        "--password-env",
        default=None,
        help="the environment variable holding the password the server requires",
    )
    parser.add_argument(
        "--conf",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="server setting",
    )
    args = parser.parse_args(argv[:split])
    app = argv[split + 1 :]
    if not app:
        raise SystemExit("colocated entrypoint: the application's command is empty")
    return args, app


def _bind_addresses(ifnames: list[str]) -> list[str]:
    addresses = [LOOPBACK]
    for name in ifnames:
        address = get_ip_from_interface(name)
        if address not in addresses:
            addresses.append(address)
    return addresses


class ForeignServer(Exception):
    """Something other than the expected server answers at the database's address."""


def _server_pid(conn: Connection) -> int:
    """The ``process_id`` the server at ``conn`` reports."""
    info = t.cast(bytes, conn.execute("INFO", "server")).decode()  # a bulk string
    for line in info.splitlines():
        if line.startswith("process_id:"):
            return int(line.split(":", 1)[1])
    raise ProtocolError("INFO server gave no process_id")


def _answering(
    address: str, expected: int, child: bool, timeout: float, password: str = ""
) -> bool:
    """Wait until the server with pid ``expected`` answers at ``address`` (True), or
    ``timeout`` passes (False).

    :param child: ``expected`` is this process's child (its exit ends the wait)
    :param password: what the server requires ("" for none); another password is another
        server
    :raises ChildProcessError: the server exited (and was reaped) before answering
    :raises ForeignServer: another server answers there
    """
    deadline = time.monotonic() + timeout
    with Connection(address, timeout=1.0, password=password) as conn:
        while time.monotonic() < deadline:
            code = wait(expected, 0) if child else None
            if code is not None:
                raise ChildProcessError(f"the server exited with code {code}")
            try:
                pid = _server_pid(conn)
            except (OSError, ProtocolError):  # refused: not listening yet
                conn.close()
            except ReplyError as exc:
                conn.close()
                if not str(exc).startswith("LOADING"):
                    raise ForeignServer(
                        f"a server that is not this job's answers at {address} ({exc})"
                    ) from None
            else:
                if pid == expected:
                    return True
                raise ForeignServer(
                    f"another server (pid {pid}, not this job's {expected}) answers at {address}"
                )
            time.sleep(0.002)
    return False


def _address_taken(args: argparse.Namespace, bind: list[str] | None) -> str | None:
    """Why the database's address is already taken by something else, if it is."""
    if args.unix_socket:
        path = args.unix_socket
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return None
        if not stat.S_ISSOCK(mode):
            return f"{path} exists and is not a socket"
        try:
            with Connection(f"unix://{path}", timeout=1.0, password="") as conn:
                conn.connect()
        except OSError:
            return None  # left by a server that is gone: the new one replaces it
        return f"another server already listens on the Unix socket {path}"
    for host in bind or []:
        if port_in_use(host, args.port):
            return f"port {args.port} on {host} is already in use"
    return None


def _log_tail(path: str, lines: int = 3) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            tail = handle.read().splitlines()[-lines:]
    except OSError:
        return ""
    return "".join(f"\n  {line}" for line in tail)


def _fail(args: argparse.Namespace, message: str) -> int:
    print(
        f"smartsim: the colocated database of {args.name}: {message}", file=sys.stderr, flush=True
    )
    return 1


def start_database(
    args: argparse.Namespace, address: str, password: str = ""
) -> tuple[int, Workers | None] | str:
    """Start server and inference workers, store the ML objects; the server's pid and the
    workers, or what went wrong. ``password``: what the server requires ("" for none)."""
    workdir = os.getcwd()
    try:
        bind = _bind_addresses(args.ifname) if args.port else None
    except ValueError as exc:
        return str(exc)
    taken = _address_taken(args, bind)
    if taken:
        return f"{taken}; give this model its own {_what(args)}"
    command = server_argv(
        args.server or find_database_exe(),
        port=args.port,
        workdir=workdir,
        bind=bind,
        unix_socket=args.unix_socket,
        socket_permissions=args.socket_permissions if args.unix_socket else None,
        db_conf=dict(args.conf),
        module=args.module,
        config_from_stdin=bool(password),
    )
    cpus = [int(c) for c in args.cpus.split(",") if c.strip()] or None
    log_path = os.path.join(workdir, f"{args.name}-colocated-db.log")
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        stdin = secret_config(password) if password else None
        server = spawn(command, cpus, output_fd=log_fd, stdin=stdin, umask=SERVER_UMASK)
    finally:
        os.close(log_fd)
    forward_signals(server)
    try:
        if not _answering(address, server, True, get_config().db_ready_timeout, password):
            stop(server)
            return f"it did not answer at {address} in time; see {log_path}"
    except ChildProcessError as exc:
        return f"{exc}; see {log_path}:{_log_tail(log_path)}"
    except ForeignServer as exc:
        stop(server)
        return f"{exc}; give this model its own {_what(args)}"
    workers = None
    if args.module:
        workers = Workers(
            worker_argv(address, args.inter_op, args.intra_op),
            args.workers,
            args.name,
            worker_environ(password),
        )
    else:
        print(
            f"smartsim: the colocated database of {args.name}: AI commands unavailable (models "
            f"and scripts cannot be stored or run): {args.no_module or 'no smartsim-ai module'}",
            file=sys.stderr,
            flush=True,
        )
    if args.db_objects:
        try:
            store_objects(address, args.db_objects, password)
        except Exception as exc:
            if workers is not None:
                workers.stop()
            stop(server)
            return f"could not store the ML objects: {exc}"
    return server, workers


def _what(args: argparse.Namespace) -> str:
    return "Unix socket (colocate_db_uds)" if args.unix_socket else "port (colocate_db_tcp)"


def main(argv: list[str] | None = None) -> int:
    """Run server and application; return the application's exit code.

    Ranks of one launch on one node share the database (see :mod:`nodeshare`): the first
    starts it, the others wait until the server it started answers, and the first stops it
    once all have finished. Without ``--share-key`` this process starts its own.
    """
    args, app = parse_args(sys.argv[1:] if argv is None else argv)
    address = f"unix://{args.unix_socket}" if args.unix_socket else f"{LOOPBACK}:{args.port}"
    share = NodeShare(f"{args.share_key}:{address}") if args.share_key else None
    password = os.environ.get(args.password_env, "") if args.password_env else ""
    if args.password_env and not password:
        return _fail(args, f"the password variable {args.password_env} is not set")
    database: tuple[int, Workers | None] | None = None
    lock = AddressLock(address)
    timeout = get_config().db_ready_timeout
    try:
        if share is None or share.join():
            if lock.acquire():
                started = start_database(args, address, password)
            else:
                started = (
                    f"another colocated database on this node uses {address}; give this "
                    f"model its own {_what(args)}"
                )
            if isinstance(started, str):
                if share is not None:
                    share.started(FAILED)
                return _fail(args, started)
            database = started
            if share is not None:
                share.started(database[0])
        else:
            server = share.server(timeout)
            if server is None:
                return _fail(args, f"the rank that starts it did not start it at {address}")
            try:
                if not _answering(address, server, False, timeout, password):
                    return _fail(args, f"it did not answer at {address} in time")
            except ForeignServer as exc:
                return _fail(args, str(exc))
        application = spawn(app)
        forward_signals(application, *([database[0]] if database else []))
        returncode = wait(application)
        return 127 if returncode is None else returncode
    finally:
        if share is not None:
            share.leave()
        if database is not None:
            if share is not None:
                share.wait_until_alone()
            server_pid, workers = database
            if workers is not None:
                workers.stop()
            stop(server_pid)
        lock.release()


def store_objects(address: str, spec_path: str, password: str = "") -> None:
    """Store the ML models and scripts described in ``spec_path`` in the database."""
    client = dbobjects.connect_client([address], False, password)
    for obj in dbobjects.read_spec(spec_path):
        dbobjects.store(client, obj)


if __name__ == "__main__":
    sys.exit(main())
