"""Entrypoint of one database shard: runs the server bound to the node's address.

``python -m smartsim._core.entrypoints.dbshard --name db_0 --port 6379 --address 127.0.0.1``
Other options: ``--ifname NAME`` (bind that interface's address, resolved on this node),
``--server PATH``, ``--dir DIR``, ``--cluster``, ``--conf KEY VALUE`` (repeatable),
``--module PATH`` (the smartsim-ai module: the AI.* commands, run by ``--workers N``
inference workers, default 1, with ``--inter-op N``/``--intra-op N`` backend threads) or
``--no-module REASON`` (said in the shard's output: models and scripts are unavailable),
``--password-env NAME`` (the server requires the password held by the environment variable
NAME; it reaches the server on its standard input, never on a command line), ``--out FILE``
and ``--err FILE`` (where the shard writes its output, when several shards share one
launch command and so its output streams).
The server runs as a child; termination signals are forwarded to it, and this process exits
with the server's code once it is gone. The options are read by hand, not with argparse, to
keep the shard's start-up short (see server.py); :func:`argv` builds them for the driver, and
a new option goes into both it and :func:`parse_args`.
"""

from __future__ import annotations

import os
import socket
import sys
import time

from smartsim._core.entrypoints.ifaddr import ipv4_of
from smartsim._core.entrypoints.server import (
    SERVER_UMASK,
    Workers,
    forward_signals,
    secret_config,
    server_argv,
    spawn,
    supervise,
    valued_flags,
    worker_argv,
    worker_environ,
)

_REPEATED = {"--address", "--ifname"}
_SINGLE = {
    "--name",
    "--port",
    "--server",
    "--dir",
    "--module",
    "--no-module",
    "--workers",
    "--inter-op",
    "--intra-op",
    "--password-env",
    "--out",
    "--err",
}
SHARD_INFO = "SMARTSIM_ORC_SHARD_INFO"
"""Starts the line a shard prints once it listens: JSON of its name, address and port."""


def argv(
    name: str,
    port: int,
    *,
    workdir: str | None = None,
    server: str | None = None,
    addresses: list[str] | None = None,
    ifnames: list[str] | None = None,
    cluster: bool = False,
    conf: dict[str, str] | None = None,
    module: str | None = None,
    no_module: str | None = None,
    workers: int | None = None,
    inter_op: int | None = None,
    intra_op: int | None = None,
    password_env: str | None = None,
    out_file: str | None = None,
    err_file: str | None = None,
) -> list[str]:
    """The options that follow ``python -S -m smartsim._core.entrypoints.dbshard``, as
    :func:`parse_args` reads them (the driver builds shard commands with it; no imports)."""
    options = ["--name", name, "--port", str(port)]
    if workdir is not None:
        options += ["--dir", workdir]
    if server is not None:
        options += ["--server", server]
    for address in addresses or []:
        options += ["--address", address]
    for ifname in ifnames or []:
        options += ["--ifname", ifname]
    if cluster:
        options.append("--cluster")
    for key, conf_value in (conf or {}).items():
        options += ["--conf", key, conf_value]
    options += valued_flags(
        ("--module", module),
        ("--no-module", no_module),
        ("--workers", workers),
        ("--inter-op", inter_op),
        ("--intra-op", intra_op),
        ("--password-env", password_env),
        ("--out", out_file),
        ("--err", err_file),
    )
    return options


def parse_args(argv: list[str]) -> dict[str, object]:
    """The options as a dict; raises SystemExit naming a bad option."""
    opts: dict[str, object] = {"--address": [], "--ifname": [], "--conf": {}, "--cluster": False}
    i = 0
    try:
        while i < len(argv):
            flag = argv[i]
            if flag == "--cluster":
                opts[flag] = True
                i += 1
            elif flag == "--conf":
                opts["--conf"][argv[i + 1]] = argv[i + 2]  # type: ignore[index]
                i += 3
            elif flag in _REPEATED:
                opts[flag].append(argv[i + 1])  # type: ignore[attr-defined]
                i += 2
            elif flag in _SINGLE:
                opts[flag] = argv[i + 1]
                i += 2
            else:
                raise SystemExit(f"dbshard: unknown option {flag!r}\n{__doc__}")
    except IndexError:
        raise SystemExit(f"dbshard: option {argv[i]!r} needs a value") from None
    for needed in ("--name", "--port"):
        if needed not in opts:
            raise SystemExit(f"dbshard: {needed} is required")
    return opts


def main(argv: list[str] | None = None) -> int:
    """Run the shard until the server exits; return its exit code."""
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    name = str(opts["--name"])
    for flag, fileno in (("--out", 1), ("--err", 2)):
        if opts.get(flag):
            redirect(fileno, str(opts[flag]))
    addresses = list(opts["--address"])  # type: ignore[call-overload]
    if opts["--ifname"]:
        try:
            addresses += [ipv4_of(i) for i in opts["--ifname"]]  # type: ignore[attr-defined]
        except ValueError as exc:
            print(f"smartsim shard {name}: {exc}", file=sys.stderr, flush=True)
            return 2
    server = opts.get("--server")
    if server is None:
        from smartsim._core.config import find_database_exe  # start-up cost, as above

        server = find_database_exe()
    port = int(str(opts["--port"]))
    password = None
    if opts.get("--password-env"):
        password = os.environ.get(str(opts["--password-env"]), "")
        if not password:
            print(
                f"smartsim shard {name}: the password variable {opts['--password-env']} is not set",
                file=sys.stderr,
                flush=True,
            )
            return 2
    command = server_argv(
        str(server),
        port=port,
        workdir=str(opts.get("--dir", os.getcwd())),
        bind=addresses or ["127.0.0.1"],
        cluster_config_file=f"nodes-{name}-{port}.conf" if opts["--cluster"] else None,
        db_conf=opts["--conf"],  # type: ignore[arg-type]
        module=opts.get("--module"),  # type: ignore[arg-type]
        config_from_stdin=password is not None,
    )
    stdin = secret_config(password) if password is not None else None
    pid = spawn(command, stdin=stdin, umask=SERVER_UMASK)
    forward_signals(pid)
    # The workers' Python start-up would compete for the CPU with the server's; start them
    # once the server listens, which is also when they first have anything to do.
    code = wait_listening(addresses[0] if addresses else "127.0.0.1", port, pid)
    if code is not None:
        return code
    print(f"smartsim shard {name} (server pid {pid}): {' '.join(command)}", flush=True)
    if not opts.get("--module"):
        print(
            f"smartsim shard {name}: AI commands unavailable (models and scripts cannot be "
            f"stored or run): {opts.get('--no-module') or 'no smartsim-ai module given'}",
            flush=True,
        )
    print_shard_info(name, addresses or ["127.0.0.1"], port, bool(opts["--cluster"]))
    workers = None
    if opts.get("--module"):
        argv_ = worker_argv(
            f"{command_address(addresses)}:{port}",
            _int_option(opts, "--inter-op"),
            _int_option(opts, "--intra-op"),
        )
        workers = Workers(
            argv_, _int_option(opts, "--workers") or 1, name, worker_environ(password)
        )
    return supervise(pid, workers)


def print_shard_info(name: str, addresses: list[str], port: int, cluster: bool) -> None:
    """Say where the shard listens, in the line the driver looks for when it cannot tell
    where a shard runs (several shards in one launch command)."""
    import json  # the server already listens: not on the start-up path

    info = {"name": name, "hostname": addresses[0], "port": port, "cluster": cluster}
    print(f"{SHARD_INFO} {json.dumps({**info, 'addresses': addresses})}", flush=True)


def redirect(fileno: int, path: str) -> None:
    """Point file descriptor ``fileno`` (1 or 2, which the server inherits) at a new file."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, fileno)
    os.close(fd)


def _int_option(opts: dict[str, object], flag: str) -> int | None:
    value = opts.get(flag)
    return int(str(value)) if value not in (None, "") else None


def wait_listening(host: str, port: int, server: int, timeout: float = 60.0) -> int | None:
    """Wait until ``host:port`` accepts connections (or ``timeout``); the server's exit code
    if it exited meanwhile (it is then reaped), else None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((host, port)) == 0:
                return None
        done, status = os.waitpid(server, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.002)
    return None


def command_address(addresses: list[str]) -> str:
    """The address the worker reaches its node at (IPv6 in brackets)."""
    first = addresses[0] if addresses else "127.0.0.1"
    return f"[{first}]" if ":" in first else first


if __name__ == "__main__":
    sys.exit(main())
