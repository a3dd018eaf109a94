"""How clients and inference workers talk: stored models and scripts, queues and replies.

A model or script is a hash at its key (fields below). Every database node has one inference
worker; it takes requests from a list on its own node, ``__ss_ai__:queue:{<tag>}``, where
``<tag>`` is the smallest non-negative integer whose hash slot the node owns (so client and
worker agree from the slot map alone). A request is a JSON object; the worker pushes its
answer to the request's reply list on the same node, which the caller waits on with BLPOP.
The worker refreshes ``__ss_ai__:alive:{<tag>}`` (with an expiry) while it runs, so a caller
learns at once that no worker serves a node instead of waiting out its timeout.
"""

from __future__ import annotations

import json
import typing as t
import uuid

from smartredis.wire.slots import hash_slot

KIND_MODEL = "model"
KIND_SCRIPT = "script"
BACKENDS = ("TORCH", "ONNX", "TF", "TFLITE")
ALIVE_SECONDS = 10
"""Expiry of the worker's heartbeat key; it refreshes it more often than this."""
REPLY_EXPIRE_SECONDS = 600
"""A reply nobody collected (the caller gave up) disappears after this."""

# Fields of a stored model or script hash.
F_KIND, F_BACKEND, F_DEVICE, F_TAG = "kind", "backend", "device", "tag"
F_BATCH, F_MIN_BATCH, F_MIN_BATCH_TIMEOUT = "batch_size", "min_batch_size", "min_batch_timeout"
F_INPUTS, F_OUTPUTS, F_CHUNKS, F_SOURCE = "inputs", "outputs", "chunks", "source"
F_VERSION = "version"
"""A fresh id per store: a worker whose copy has another version reloads it."""


def blob_field(index: int) -> str:
    """The hash field holding chunk ``index`` of a model's bytes."""
    return f"blob:{index}"


def queue_tag(owns_slot: t.Callable[[int], bool]) -> str:
    """The hash tag of a node's queue: the smallest integer whose slot the node owns."""
    number = 0
    while not owns_slot(hash_slot(str(number))):
        number += 1
    return str(number)


def queue_key(tag: str) -> str:
    """The request list of the worker whose node owns ``tag``."""
    return f"__ss_ai__:queue:{{{tag}}}"


def alive_key(tag: str) -> str:
    """The heartbeat key of the worker whose node owns ``tag``."""
    return f"__ss_ai__:alive:{{{tag}}}"


def new_version() -> str:
    """A version id for a newly stored model or script."""
    return uuid.uuid4().hex


def new_reply_key(tag: str) -> str:
    """A fresh reply list on the node that owns ``tag``."""
    return f"__ss_ai__:reply:{{{tag}}}:{uuid.uuid4().hex}"


def encode_request(op: str, reply: str, **fields: t.Any) -> bytes:
    """A request for a worker: ``op`` is load, unload, run_model, run_script or info."""
    return json.dumps({"op": op, "reply": reply, **fields}).encode()


def decode_request(raw: bytes | bytearray) -> dict[str, t.Any]:
    """The request a client sent (raises ValueError when it is not one)."""
    request = json.loads(bytes(raw))
    if not isinstance(request, dict) or "op" not in request or "reply" not in request:
        raise ValueError("not an inference request")
    return request


def encode_reply(error: str | None = None, **result: t.Any) -> bytes:
    """A worker's answer: ``{"ok": true, ...}`` or ``{"ok": false, "error": message}``."""
    if error is not None:
        return json.dumps({"ok": False, "error": error}).encode()
    return json.dumps({"ok": True, **result}).encode()


def decode_reply(raw: bytes | bytearray) -> dict[str, t.Any]:
    """A worker's answer as a dict with ``ok`` and ``error`` or results."""
    return t.cast(dict[str, t.Any], json.loads(bytes(raw)))
