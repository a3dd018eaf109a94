"""Database metrics, SmartSim 0.8's collectors: each shard's memory and clients, as CSV.

One daemon thread per database samples every shard at the telemetry frequency: one
``INFO memory`` and one ``CLIENT LIST`` per shard per interval, each shard over its own
connection with a short timeout, so a slow or gone shard costs the database nothing and the
sampler at most the timeout. The thread ends when the database is stopped, when all its
shards' jobs have ended, or with the driver (it is a daemon).
"""

from __future__ import annotations

import logging
import threading
import typing as t
from dataclasses import dataclass

from smartredis.wire.protocol import ReplyError
from smartsim._core.telemetry.files import append_rows, now_ms

if t.TYPE_CHECKING:
    from smartredis.wire.connection import Connection

logger = logging.getLogger(__name__)

MEMORY_COLUMNS = ("timestamp", "used_memory", "used_memory_peak", "total_system_memory")
CLIENT_COLUMNS = ("timestamp", "client_id", "address")
CLIENT_COUNT_COLUMNS = ("timestamp", "num_clients")
TIMEOUT = 1.0
"""Seconds a sample may wait on one shard (connect, then each reply)."""


@dataclass
class ShardTarget:
    """One shard to sample: its job (several shards of an MPMD node share one), address and
    metric files."""

    job_id: str
    address: str
    memory_file: str
    client_file: str
    client_count_file: str


def _fields(reply: t.Any) -> dict[str, str]:
    """``field:value`` lines of an INFO reply."""
    text = bytes(reply).decode(errors="replace")
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _clients(reply: t.Any) -> list[dict[str, str]]:
    """CLIENT LIST's lines as ``{field: value}`` (``id``, ``addr``...)."""
    text = bytes(reply).decode(errors="replace")
    return [
        dict(pair.split("=", 1) for pair in line.split() if "=" in pair)
        for line in text.splitlines()
        if line.strip()
    ]


class DatabaseSampler:
    """Samples a database's shards until stopped.

    :param name: the database's name (names the thread)
    :param shards: the shards to sample
    :param connect: a new, not yet connected connection to a shard address, with a timeout
    :param interval: seconds between samples
    """

    def __init__(
        self,
        name: str,
        shards: list[ShardTarget],
        connect: t.Callable[[str, float], Connection],
        interval: float,
    ) -> None:
        self._shards = list(shards)
        self._connect = connect
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connections: dict[str, Connection] = {}
        self._thread = threading.Thread(
            target=self._run, name=f"smartsim-telemetry-{name}", daemon=True
        )

    def start(self) -> None:
        """Start sampling (the first sample is taken at once)."""
        self._thread.start()

    def stop(self, wait: float = 2.0) -> None:
        """Stop sampling and wait (up to ``wait`` s) for a sample in progress to end."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(wait)

    def job_ended(self, job_id: str) -> None:
        """A shard's job ended: sample its shards no more (the thread ends after the last)."""
        with self._lock:
            self._shards = [shard for shard in self._shards if shard.job_id != job_id]
            if not self._shards:
                self._stop.set()

    @property
    def alive(self) -> bool:
        """Whether the sampling thread still runs."""
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                with self._lock:
                    shards = list(self._shards)
                for shard in shards:
                    if self._stop.is_set():
                        break
                    self._sample(shard)
                self._stop.wait(self._interval)
        finally:
            for connection in self._connections.values():
                connection.close()

    def _sample(self, shard: ShardTarget) -> None:
        """Append one sample of ``shard`` to its files; a shard that does not answer in time
        is skipped this once (its connection is opened again next time)."""
        connection = self._connections.get(shard.address)
        if connection is None:
            connection = self._connections[shard.address] = self._connect(shard.address, TIMEOUT)
        try:
            info = _fields(connection.execute("INFO", "memory"))
            clients = _clients(connection.execute("CLIENT", "LIST"))
        except (OSError, ReplyError, ValueError, TypeError) as exc:
            connection.close()
            logger.debug(f"Telemetry: no sample of {shard.address}: {exc}")
            return
        stamp = now_ms()
        memory = [info.get(name, "0") for name in MEMORY_COLUMNS[1:]]
        append_rows(shard.memory_file, MEMORY_COLUMNS, [(stamp, *map(float, memory))])
        rows = [(stamp, client.get("id", ""), client.get("addr", "")) for client in clients]
        append_rows(shard.client_file, CLIENT_COLUMNS, rows)
        addresses = {client.get("addr", "") for client in clients}
        append_rows(shard.client_count_file, CLIENT_COUNT_COLUMNS, [(stamp, len(addresses))])
