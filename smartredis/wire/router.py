"""The client's command router: which node of a database each command goes to, and the
retry loop around it. It is the client side of the conversation, not a server.

:class:`Router` owns the loop (reconnects within the command budget, redirects, "try again"
replies); a subclass only says where a key lives (:class:`StandaloneRouter` here,
:class:`~smartredis.wire.cluster.ClusterRouter` in :mod:`smartredis.wire.cluster`).
"""

from __future__ import annotations

import socket
import threading
import typing as t

from smartredis.wire.connection import Address, Connection
from smartredis.wire.protocol import Arg, ProtocolError, Reader, Reply, ReplyError, T
from smartredis.wire.retry import (
    DEBUG,
    INFO,
    AddressError,
    Budget,
    LogHook,
    RetryPolicy,
    ServerTimeout,
    ServerUnavailable,
)

Key = str | bytes | None
Command = t.Sequence[Arg]
R = t.TypeVar("R")

RETRY_LATER = frozenset({"LOADING", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN"})
"""Error codes that mean "not now": the command is retried within the command budget."""
REDIRECTS = frozenset({"MOVED", "ASK"})
MAX_REDIRECTS = 16


def _name(command: Command) -> str:
    first = command[0] if command else ""
    if isinstance(first, (bytes, bytearray, memoryview)):
        return bytes(first).decode(errors="replace")
    return str(first)


def _text(key: Key) -> str:
    return key.decode(errors="replace") if isinstance(key, bytes) else (key or "")


def _pipeline_op(batch: list[Command]) -> t.Callable[[Connection, bool], list[Reply]]:
    """A Router._run op that sends ``batch`` as one pipeline."""
    return lambda conn, _asking: conn.pipeline(batch)


class Router:
    """The client's router for one database (one node or a cluster): sends each command to the
    node that serves its key over lazily opened connections, with retries.

    Thread-safe: one connection per node, shared by all threads, each command (or pipeline)
    holding that connection's lock from send to reply; commands to one node from several
    threads therefore take turns, commands to different nodes do not wait on each other.
    """

    is_cluster = False

    def __init__(self, policy: RetryPolicy, log: LogHook, password: str = "") -> None:
        self.policy = policy
        self._log = log
        self._password = password
        self._connections: dict[Address, Connection] = {}
        self._connections_lock = threading.Lock()

    # -- what a subclass provides -------------------------------------------------------
    @property
    def nodes(self) -> list[Address]:
        """The addresses of the nodes that serve data."""
        raise NotImplementedError

    def _route(self, key: Key) -> Address:
        """The node that serves ``key`` (any node for None)."""
        raise NotImplementedError

    def route(self, key: Key) -> Address:
        """The node that serves ``key``, as far as this client knows."""
        return self._route(key)

    def owns_slot(self, node: Address) -> t.Callable[[int], bool]:
        """A test of whether ``node`` serves a hash slot (a lone node serves them all)."""
        return lambda slot: True

    def _redirect(self, err: ReplyError) -> tuple[Address, bool] | None:
        """(node, asking) if ``err`` sends the command elsewhere."""
        return None

    def _recover(self) -> None:
        """Called after a lost connection, before the command is routed again."""

    # -- connections ---------------------------------------------------------------------
    def connection(self, address: Address) -> Connection:
        """The (lazily opened) connection to ``address``; one per address for all threads."""
        conn = self._connections.get(address)
        if conn is None:
            with self._connections_lock:
                conn = self._connections.get(address)
                if conn is None:
                    conn = Connection(address, self.policy.command_timeout, self._password)
                    self._connections[address] = conn
        return conn

    def close(self) -> None:
        """Close every connection (once the commands running on them are done)."""
        with self._connections_lock:
            connections = list(self._connections.values())
        for conn in connections:
            with conn.lock:
                conn.close()

    def _bootstrap(self, candidates: list[Address], probe: t.Callable[[Connection], R]) -> R:
        """Reach one of ``candidates`` and run ``probe`` on it, retrying within SR_CONN_TIMEOUT.

        :raises AddressError: an address does not resolve
        :raises ServerUnavailable: none answered in time
        """
        policy = self.policy
        budget = Budget(policy.connect_timeout, policy.connect_interval)
        announced: set[Address] = set()
        while True:
            for address in candidates:
                conn = self.connection(address)
                try:
                    if not conn.connected:
                        conn.connect(timeout=max(budget.remaining(), 0.05))
                    return probe(conn)
                except socket.gaierror as exc:
                    conn.close()
                    raise AddressError(
                        f"Cannot resolve the database address {address}: {exc}"
                    ) from exc
                except ReplyError as exc:
                    if exc.code not in RETRY_LATER:
                        raise
                    problem = str(exc)
                except (OSError, ProtocolError) as exc:
                    conn.close()
                    problem = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                self._log(
                    DEBUG if address in announced else INFO,
                    f"Waiting for the database at {address} ({problem}); retrying every "
                    f"{policy.connect_interval * 1000:g} ms for up to "
                    f"{policy.connect_timeout:g} s (SR_CONN_INTERVAL, SR_CONN_TIMEOUT)",
                )
                announced.add(address)
            if not budget.wait():
                where = ", ".join(str(a) for a in candidates)
                raise ServerUnavailable(
                    f"Could not connect to the database at {where} within "
                    f"{policy.connect_timeout:g} s (SR_CONN_TIMEOUT): {problem}"
                )

    # -- the retry loop -----------------------------------------------------------------
    def _run(
        self,
        key: Key,
        op: t.Callable[[Connection, bool], R],
        command: str,
        at: Address | None = None,
        repeatable: bool = True,
    ) -> R:
        """Run ``op(conn, asking)`` on the node for ``key`` (or node ``at``), following
        redirects and retrying lost connections and "try again" replies within SR_CMD_TIMEOUT.

        ``asking`` is True after an ASK redirect: each command must then follow an ASKING.

        What is retried: redirects (MOVED, ASK) and "try again" replies (LOADING, TRYAGAIN,
        CLUSTERDOWN, MASTERDOWN) always, as the server did not run the command; a connection
        lost before ``op`` sent anything always; one lost after it sent its command (the
        command may have run, only its reply is known lost) only if ``repeatable``: running
        it twice must leave the same result (SET, DEL, reads...). A command that is not
        (RPUSH, RENAME, AI.INFO RESETSTAT...) raises ServerUnavailable then instead; before it
        is sent, a connection the server closed while idle is replaced, so a restarted
        server does not fail it. A timeout is never retried.

        :raises ReplyError: the server refused the command (``command``/``key`` filled in)
        :raises ServerTimeout: no answer within the command timeout
        :raises ServerUnavailable: the connection was lost and could not be made again, or
            was lost after a command that is not ``repeatable`` was sent
        """
        policy = self.policy
        target = at if at is not None else self._route(key)
        asking, redirects = False, 0
        budget: Budget | None = None
        while True:
            conn = self.connection(target)
            connecting, sent = False, False  # sent: op handed something to the socket
            try:
                with conn.lock:
                    sends: int | None = None  # conn.sends when op started
                    try:
                        if not repeatable and conn.closed_by_peer():
                            conn.close()
                        connecting = not conn.connected
                        if connecting:
                            timeout = budget.remaining() if budget else policy.command_timeout
                            conn.connect(timeout=max(timeout, 0.05))
                        sends = conn.sends
                        return op(conn, asking)
                    except (OSError, ProtocolError):
                        sent = sends is not None and conn.sends != sends
                        conn.close()  # while no other thread can be using it
                        raise
            except ReplyError as err:
                moved = self._redirect(err) if at is None and redirects < MAX_REDIRECTS else None
                if moved is not None:
                    (target, asking), redirects = moved, redirects + 1
                    continue
                if err.code in RETRY_LATER:
                    budget = budget or Budget(policy.command_timeout, policy.command_interval)
                    if budget.wait():
                        self._log(DEBUG, f"{command} on {target}: {err}; retrying")
                        continue
                err.command, err.key = command, _text(key)
                raise
            except (OSError, ProtocolError) as exc:
                if isinstance(exc, TimeoutError) and not connecting:
                    raise ServerTimeout(
                        f"The database at {target} did not answer {command} within "
                        f"{policy.command_timeout:g} s (SR_CMD_TIMEOUT)"
                    ) from exc
                problem = str(exc) or type(exc).__name__
                if not repeatable and sent:
                    raise ServerUnavailable(
                        f"Lost the connection to the database at {target} after sending "
                        f"{command} ({problem}): it may have run, and is not sent again as "
                        "running it twice would not give the same result"
                    ) from exc
                self._log(
                    DEBUG if budget else INFO,
                    f"Lost the connection to the database at {target} during {command} "
                    f"({problem}); retrying for up to {policy.command_timeout:g} s "
                    "(SR_CMD_TIMEOUT)",
                )
                budget = budget or Budget(policy.command_timeout, policy.command_interval)
                if not budget.wait():
                    raise ServerUnavailable(
                        f"Lost the connection to the database at {target} during {command} "
                        f"and could not reconnect within {policy.command_timeout:g} s "
                        f"(SR_CMD_TIMEOUT): {problem}"
                    ) from exc
                if at is None:
                    self._recover()
                    target = self._route(key)

    # -- commands -------------------------------------------------------------------------
    def execute(self, key: Key, *args: Arg, repeatable: bool = True) -> Reply:
        """Run one command on the node that serves ``key`` (``repeatable``: see :meth:`_run`)."""
        return self.execute_streamed(key, args, None, repeatable=repeatable)

    def execute_streamed(
        self,
        key: Key,
        args: Command,
        consume: t.Callable[[Reader, int], T] | None,
        repeatable: bool = True,
    ) -> T | Reply:
        """Run one command; a bulk-string reply is streamed to ``consume`` (if given)."""

        def op(conn: Connection, asking: bool) -> T | Reply:
            if asking:
                conn.execute("ASKING")
            return conn.execute_streamed(args, consume)

        return self._run(key, op, _name(args), repeatable=repeatable)

    def execute_at(self, address: Address, *args: Arg) -> Reply:
        """Run one (repeatable) command on node ``address``."""
        return self._run(None, lambda conn, _: conn.execute(*args), _name(args), at=address)

    def pipeline(
        self, key: Key, commands: t.Sequence[Command], repeatable: bool = True
    ) -> list[Reply]:
        """Run commands whose keys share ``key``'s slot in one round trip; errors are returned.

        ``repeatable``: whether running them all again is harmless (see :meth:`_run`).
        """

        def op(conn: Connection, asking: bool) -> list[Reply]:
            if asking:
                asked = conn.pipeline([c for command in commands for c in (("ASKING",), command)])
                replies = asked[1::2]
            else:
                replies = conn.pipeline(commands)
            for reply in replies:
                if isinstance(reply, ReplyError) and reply.code in REDIRECTS | RETRY_LATER:
                    raise reply
            return replies

        return self._run(
            key, op, _name(commands[0]) if commands else "pipeline", repeatable=repeatable
        )

    def pipeline_grouped(self, items: t.Sequence[tuple[Key, Command]]) -> list[Reply]:
        """Run (key, command) pairs on whichever nodes serve them, one pipeline per node."""
        groups: dict[Address, list[int]] = {}
        for index, (key, _) in enumerate(items):
            groups.setdefault(self._route(key), []).append(index)
        out: list[Reply] = [None] * len(items)
        for address, indexes in groups.items():
            batch = [items[i][1] for i in indexes]
            replies = self._run(None, _pipeline_op(batch), _name(batch[0]), at=address)
            for index, reply in zip(indexes, replies, strict=True):
                if isinstance(reply, ReplyError) and reply.code in REDIRECTS | RETRY_LATER:
                    key, command = items[index]  # moved meanwhile: route it on its own
                    try:
                        reply = self.execute(key, *command)
                    except ReplyError as err:
                        reply = err
                out[index] = reply
        return out


class StandaloneRouter(Router):
    """The router for a database of one node (TCP or Unix socket): every command goes there."""

    def __init__(
        self, address: Address, policy: RetryPolicy, log: LogHook, password: str = ""
    ) -> None:
        super().__init__(policy, log, password)
        self.address = address
        self._bootstrap([address], lambda conn: conn.execute("PING"))

    @property
    def nodes(self) -> list[Address]:
        """See base."""
        return [self.address]

    def _route(self, key: Key) -> Address:
        return self.address
