"""Readiness of database shards and Redis Cluster creation, by asking the servers.

No fixed sleeps: each check is retried with a short, growing delay until it passes, a shard's
process ends, or the deadline passes.
"""

from __future__ import annotations

import functools
import time
import typing as t

from smartredis.wire import SLOTS, Address, Connection, ProtocolError, ReplyError
from smartsim._core.config import get_config
from smartsim.error import SmartSimError
from smartsim.log import get_logger

logger = get_logger(__name__)

DeadShard = t.Callable[[], str | None]
"""Returns the name of a shard whose process has ended, or None while all run."""


def _backoff() -> t.Iterator[float]:
    """1 ms between checks for the first half second (a refused connect on the loopback costs
    microseconds, and a server takes tens of ms to start), then up to 10 ms."""
    start = time.monotonic()
    delay = 0.001
    while True:
        yield delay
        if time.monotonic() - start > 0.5:
            delay = min(delay * 2, 0.01)


def poll_until(
    check: t.Callable[[], bool], dead_shard: DeadShard, deadline: float, what: str
) -> None:
    """Return once ``check()`` is true.

    :raises SmartSimError: a shard ended (``dead_shard``) or the deadline passed first
    """
    began = time.monotonic()
    note_at = began + get_config().progress_interval
    for delay in _backoff():
        if check():
            return
        dead = dead_shard()
        if dead is not None:
            raise SmartSimError(f"Database shard {dead} exited while waiting for {what}")
        now = time.monotonic()
        if now > deadline:
            raise SmartSimError(
                f"Timed out waiting for {what} (SMARTSIM_DB_READY_TIMEOUT bounds this wait)"
            )
        if now >= note_at:
            logger.info(f"Still waiting for {what} ({now - began:.0f} s)")
            note_at = now + get_config().progress_interval
        time.sleep(delay)


def _answers(conn: Connection) -> bool:
    try:
        return conn.execute("PING") == "PONG"
    except (OSError, ProtocolError, ReplyError):
        conn.close()
        return False


def wait_until_answering(
    addresses: list[str], dead_shard: DeadShard, timeout: float, password: str = ""
) -> None:
    """Return once every address answers PING (authenticated with ``password``, if any).

    :raises SmartSimError: a shard ended, or the timeout passed
    """
    deadline = time.monotonic() + timeout
    for address in addresses:
        with Connection(address, timeout=1.0, password=password) as conn:
            poll_until(
                functools.partial(_answers, conn), dead_shard, deadline, f"{address} to answer"
            )


def _cluster_info(conn: Connection) -> dict[str, str]:
    raw = conn.execute("CLUSTER", "INFO")
    text = raw.decode() if isinstance(raw, (bytes, bytearray)) else str(raw)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _assign_slots(conn: Connection, first: int, last: int) -> None:
    try:
        conn.execute("CLUSTER", "ADDSLOTSRANGE", first, last)
    except ReplyError:  # servers before Redis 7 know only ADDSLOTS
        conn.execute("CLUSTER", "ADDSLOTS", *range(first, last + 1))


def create_cluster(
    addresses: list[str], dead_shard: DeadShard, timeout: float, password: str = ""
) -> None:
    """Join the shards into one cluster, slots split evenly, no replicas; wait until it is ok.

    The shards must run in cluster mode with empty cluster configs.

    :raises SmartSimError: the servers refused, a shard ended, or the timeout passed
    """
    deadline = time.monotonic() + timeout
    conns = [Connection(address, timeout=5.0, password=password) for address in addresses]
    count = len(conns)
    try:
        for i, conn in enumerate(conns):
            conn.execute("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
            _assign_slots(conn, i * SLOTS // count, (i + 1) * SLOTS // count - 1)
        for address in addresses[1:]:
            peer = Address.parse(address)
            conns[0].execute("CLUSTER", "MEET", peer.host, peer.port)

        def ready(conn: Connection) -> bool:
            info = _cluster_info(conn)
            return (
                info.get("cluster_state") == "ok"
                and info.get("cluster_known_nodes") == str(count)
                and info.get("cluster_slots_ok") == str(SLOTS)
            )

        for conn, address in zip(conns, addresses, strict=True):
            poll_until(
                functools.partial(ready, conn),
                dead_shard,
                deadline,
                f"the cluster to be ok at {address}",
            )
    except ReplyError as exc:
        raise SmartSimError(f"The database shards refused to form a cluster: {exc}") from exc
    finally:
        for conn in conns:
            conn.close()
