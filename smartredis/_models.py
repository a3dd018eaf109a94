"""ModelStore: models and scripts in the database, and asking the inference workers to run them.

Storage and the request protocol are in :mod:`smartredis.wire.inference`. A model's bytes
are split into hash fields of at most ``chunk_size`` bytes (``set_model_chunk_size``), so a
model larger than the server's bulk limit still fits.
"""

from __future__ import annotations

import time
import typing as t

from smartredis.error import RedisKeyError, RedisRuntimeError, RedisTimeoutError
from smartredis.wire import inference
from smartredis.wire.connection import Address
from smartredis.wire.protocol import Reply
from smartredis.wire.router import Router

WORKER_START_WAIT = 15.0
"""Seconds to wait for a node's inference worker to come up before giving up."""
ALIVE_TRUST = 2.0
"""Seconds a worker seen alive is assumed alive (its heartbeat lives ALIVE_SECONDS)."""
DEFAULT_CHUNK_SIZE = 511 * 1024 * 1024
"""Bytes per stored chunk of a model (below the server's default 512 MiB limit)."""


def _text(value: Reply) -> str:
    return bytes(t.cast(bytes, value)).decode() if value is not None else ""


def _field_map(reply: Reply) -> dict[str, Reply]:
    items = t.cast(list, reply) or []
    return {_text(items[i]): items[i + 1] for i in range(0, len(items), 2)}


class ModelStore:
    """Model and script operations on one database (standalone or cluster)."""

    def __init__(self, server: Router, request_timeout: float) -> None:
        self._server = server
        self._timeout = max(1, int(request_timeout) - 1)
        """Seconds to wait for a worker's answer (below the socket's command timeout)."""
        self.chunk_size = DEFAULT_CHUNK_SIZE
        self._seen_alive: dict[Address, float] = {}

    # -- storing ------------------------------------------------------------------------------
    def set_model(self, key: str, model: bytes, options: dict[str, t.Any]) -> None:
        """Store a model and have its node's worker load it (so load errors surface here)."""
        blob = memoryview(model).cast("B")
        size = self.chunk_size
        chunks = [blob[i : i + size] for i in range(0, len(blob), size)] or [blob]
        fields: list[t.Any] = [
            inference.F_KIND,
            inference.KIND_MODEL,
            inference.F_CHUNKS,
            len(chunks),
        ]
        fields += [inference.F_VERSION, inference.new_version()]
        for name, value in options.items():
            fields += [name, ",".join(value) if isinstance(value, list) else value]
        for index, chunk in enumerate(chunks):
            fields += [inference.blob_field(index), chunk]
        self._replace(key, fields)

    def set_script(self, key: str, source: str, device: str) -> None:
        """Store a TorchScript script and have its node's worker compile it."""
        fields = [
            inference.F_KIND,
            inference.KIND_SCRIPT,
            inference.F_DEVICE,
            device,
            inference.F_SOURCE,
            source,
        ]
        fields += [inference.F_VERSION, inference.new_version()]
        self._replace(key, fields)

    def _replace(self, key: str, fields: list[t.Any]) -> None:
        self._server.pipeline(key, [("DEL", key), ("HSET", key, *fields)])
        try:
            self.request(key, "load", key=key)
        except RedisRuntimeError:
            self._server.execute(key, "DEL", key)  # nothing unusable stays behind
            raise

    # -- reading ------------------------------------------------------------------------------
    def _fields(self, key: str, kind: str) -> dict[str, Reply]:
        fields = _field_map(self._server.execute(key, "HGETALL", key))
        if _text(fields.get(inference.F_KIND)) != kind:
            raise RedisKeyError(f"No {kind} is stored under the key {key}", "", key)
        return fields

    def get_model(self, key: str) -> bytes:
        """The bytes of the model at ``key``."""
        fields = self._fields(key, inference.KIND_MODEL)
        count = int(_text(fields[inference.F_CHUNKS]))
        return b"".join(bytes(t.cast(bytes, fields[inference.blob_field(i)])) for i in range(count))

    def get_script(self, key: str) -> str:
        """The source of the script at ``key``."""
        return _text(self._fields(key, inference.KIND_SCRIPT)[inference.F_SOURCE])

    def exists(self, key: str, kind: str) -> bool:
        """Whether a model (or script) is stored at ``key``."""
        return _text(self._server.execute(key, "HGET", key, inference.F_KIND)) == kind

    def delete(self, key: str, kind: str) -> None:
        """Remove the model or script at ``key`` and unload it from its worker."""
        if not self.exists(key, kind):
            raise RedisKeyError(f"No {kind} is stored under the key {key}", "", key)
        self._server.execute(key, "DEL", key)
        self.request(key, "unload", key=key)

    # -- running ------------------------------------------------------------------------------
    def run_model(self, key: str, inputs: list[str], outputs: list[str]) -> None:
        """Run the model at ``key`` on the tensors ``inputs``; results go to ``outputs``."""
        self.request(key, "run_model", key=key, inputs=inputs, outputs=outputs)

    def run_script(self, key: str, function: str, inputs: list[str], outputs: list[str]) -> None:
        """Call ``function`` of the script at ``key`` on ``inputs``; results go to ``outputs``."""
        self.request(key, "run_script", key=key, fn=function, inputs=inputs, outputs=outputs)

    def info(self, node: Address, key: str, reset: bool) -> dict[str, t.Any]:
        """The run statistics the worker of ``node`` keeps for ``key``."""
        return self._ask(node, "info", key=key, reset=reset)["info"]

    def request(self, routing_key: str, op: str, **fields: t.Any) -> dict[str, t.Any]:
        """Send ``op`` to the worker of the node that stores ``routing_key``; its answer."""
        return self._ask(self._server.route(routing_key), op, **fields)

    def _wait_for_worker(self, node: Address, tag: str) -> None:
        """Return once the node's worker is alive; a worker starts with its shard, so a
        client that connects right after the database became ready may wait briefly.

        A worker seen alive is trusted for ALIVE_TRUST seconds, sparing a round trip per call.
        """
        if time.monotonic() - self._seen_alive.get(node, -ALIVE_TRUST) < ALIVE_TRUST:
            return
        deadline = time.monotonic() + min(WORKER_START_WAIT, self._timeout)
        while not self._server.execute(
            inference.queue_key(tag), "EXISTS", inference.alive_key(tag)
        ):
            if time.monotonic() > deadline:
                raise RedisRuntimeError(
                    f"No inference worker serves the database at {node}: models and scripts "
                    "run only on databases started by SmartSim (its shards start a worker)"
                )
            time.sleep(0.02)
        self._seen_alive[node] = time.monotonic()

    def _ask(self, node: Address, op: str, **fields: t.Any) -> dict[str, t.Any]:
        tag = inference.queue_tag(self._server.owns_slot(node))
        queue, reply_key = inference.queue_key(tag), inference.new_reply_key(tag)
        self._wait_for_worker(node, tag)
        self._server.execute(
            queue, "RPUSH", queue, inference.encode_request(op, reply_key, **fields)
        )
        answer = self._server.execute(reply_key, "BLPOP", reply_key, self._timeout)
        if answer is None:
            raise RedisTimeoutError(
                f"The inference worker at {node} did not answer {op} within {self._timeout} s"
            )
        result = inference.decode_reply(t.cast(list, answer)[1])
        if not result.get("ok"):
            raise RedisRuntimeError(str(result.get("error", "unknown inference error")))
        return result
