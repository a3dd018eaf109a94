"""Routing to a Redis Cluster: the slot map from CLUSTER SLOTS, routing by key slot, MOVED/ASK.

Each primary gets one connection (opened on first use). A MOVED reply updates the slot and
reloads the whole map; an ASK reply sends that one command to the importing node after
ASKING. After a lost connection the map is reloaded, in case a replica took over.
"""

from __future__ import annotations

import functools
import random
import typing as t

from smartredis.wire.connection import Address, Connection
from smartredis.wire.protocol import ProtocolError, Reply, ReplyError
from smartredis.wire.retry import DEBUG, LogHook, RetryPolicy
from smartredis.wire.router import Key, Router
from smartredis.wire.slots import SLOTS, hash_slot

SlotRange = tuple[int, int, Address]


@functools.lru_cache(maxsize=1 << 16)
def _slot(key: str | bytes) -> int:
    return hash_slot(key)


def _endpoint(host: bytes | str, port: int, asked: Address) -> Address:
    name = host.decode() if isinstance(host, bytes) else host
    # An empty or "?" endpoint means "the address you reached me at" (CLUSTER SLOTS docs).
    return Address(host=name if name not in ("", "?") else asked.host, port=int(port))


def parse_cluster_slots(reply: Reply, asked: Address) -> list[SlotRange]:
    """(first slot, last slot, primary) for each range in a CLUSTER SLOTS reply.

    :raises ValueError: the reply is not shaped like CLUSTER SLOTS output
    """
    if not isinstance(reply, list):
        raise ValueError(f"CLUSTER SLOTS answered {reply!r}")
    ranges = []
    for entry in reply:
        if not isinstance(entry, list) or len(entry) < 3 or not isinstance(entry[2], list):
            raise ValueError(f"Unexpected CLUSTER SLOTS entry {entry!r}")
        start, end, primary = entry[0], entry[1], entry[2]
        ranges.append((int(start), int(end), _endpoint(primary[0], primary[1], asked)))
    return ranges


def parse_redirect(err: ReplyError) -> tuple[str, int, Address] | None:
    """(``MOVED``/``ASK``, slot, node) from a redirect error, else None."""
    parts = str(err).split()
    if len(parts) != 3 or parts[0] not in ("MOVED", "ASK"):
        return None
    host, _, port = parts[2].rpartition(":")
    return parts[0], int(parts[1]), Address(host=host.strip("[]"), port=int(port))


class ClusterRouter(Router):
    """The router for a Redis Cluster: each key goes to the primary that owns its hash slot."""

    is_cluster = True

    def __init__(
        self, seeds: list[Address], policy: RetryPolicy, log: LogHook, password: str = ""
    ) -> None:
        super().__init__(policy, log, password)
        self._seeds = list(seeds)
        self._slots: list[Address | None] = [None] * SLOTS
        self._primaries: list[Address] = []
        self._ranges: list[SlotRange] = []
        random.shuffle(self._seeds)
        self._bootstrap(self._seeds, self._load_slots)

    @property
    def nodes(self) -> list[Address]:
        """See base."""
        return list(self._primaries)

    @property
    def slot_ranges(self) -> list[SlotRange]:
        """(first slot, last slot, primary) of each CLUSTER SLOTS entry, by first slot."""
        return list(self._ranges)

    def _load_slots(self, conn: Connection) -> None:
        ranges = parse_cluster_slots(conn.execute("CLUSTER", "SLOTS"), conn.address)
        slots: list[Address | None] = [None] * SLOTS
        for start, end, node in ranges:
            slots[start : end + 1] = [node] * (end + 1 - start)
        self._slots = slots
        self._ranges = sorted(ranges, key=lambda entry: entry[0])
        self._primaries = sorted({node for _, _, node in ranges}, key=str)
        self._log(DEBUG, f"Cluster slot map: {', '.join(map(str, self._primaries))}")

    def _route(self, key: Key) -> Address:
        node = self._slots[_slot(key)] if key is not None else None
        if node is None:
            # Unknown slot or key-less command: any node answers or redirects.
            return self._primaries[0] if self._primaries else self._seeds[0]
        return node

    def owns_slot(self, node: Address) -> t.Callable[[int], bool]:
        """See base."""
        return lambda slot: self._slots[slot] == node

    def _redirect(self, err: ReplyError) -> tuple[Address, bool] | None:
        parsed = parse_redirect(err)
        if parsed is None:
            return None
        kind, slot, node = parsed
        if kind == "ASK":
            return node, True
        self._slots[slot] = node
        self._refresh(node)
        return node, False

    def _recover(self) -> None:
        self._refresh(None)

    def _refresh(self, first: Address | None) -> None:
        """Reload the slot map from the first node that answers (best effort, no waiting)."""
        candidates = ([first] if first else []) + self._primaries + self._seeds
        for address in dict.fromkeys(candidates):
            conn = self.connection(address)
            with conn.lock:  # other threads may be using it
                try:
                    if not conn.connected:
                        conn.connect(timeout=min(1.0, self.policy.command_timeout))
                    self._load_slots(conn)
                    return
                except (OSError, ProtocolError, ReplyError, ValueError) as exc:
                    conn.close()
                    problem = exc
            self._log(DEBUG, f"Could not reload the slot map from {address}: {problem}")
