"""Models and scripts on the wire: RedisAI 1.2's ``AI.*`` commands exactly as SmartRedis 0.6.1
sends them, and where it keeps models and scripts in a cluster.

Command builders return the argv of one command (keys as given: ``str`` standalone, ``bytes``
in a cluster, where they carry a binary shard prefix). Reply helpers turn AI.MODELGET,
AI.INFO and AI.CONFIG GET replies into Python values.

Cluster layout (SmartRedis's, so that either client runs what the other stored): every model
and script is stored once per CLUSTER SLOTS range, at ``{P}.<key>``, where ``P`` is
:func:`shard_prefix` of the range's lowest slot. Running copies each input to
``{P}.<input>.TMP`` and has the outputs written to ``{P}.<output>.TMP`` (:func:`tmp_key`), so
that every key of the AI.MODELEXECUTE / AI.SCRIPTRUN command is in one slot.
"""

from __future__ import annotations

import functools
import os
import typing as t

from smartredis.wire.protocol import Arg, Reply, ReplyError

BACKENDS = ("TF", "TFLITE", "TORCH", "ONNX")
IO_BACKENDS = ("TF",)
"""Backends whose models name their input and output nodes at AI.MODELSTORE."""
MODEL_TIMEOUT_ENV = "SR_MODEL_TIMEOUT"
DEFAULT_MODEL_TIMEOUT_MS = 60_000_000
"""The AI.MODELEXECUTE TIMEOUT SmartRedis sends unless SR_MODEL_TIMEOUT says otherwise."""
TMP_SUFFIX = ".TMP"

Key = str | bytes

_POLY = 0x11021
"""CRC16-XMODEM's polynomial with its x^16 term (69665), as SmartRedis's inverse uses it."""
_BRACES = frozenset(b"{}")
_MAX_SHIFTS = 24


# -- cluster layout ---------------------------------------------------------------------------
def _inverse_shift(remainder: int, first_bit: int, nbits: int) -> int:
    """Clear ``nbits`` bits of ``remainder`` from ``first_bit`` up by XOR-ing in the polynomial
    (SmartRedis's ``_crc_xor_shift``): bits 16 and up then hash back to the low bits."""
    digit, poly = 1 << first_bit, _POLY << first_bit
    for _ in range(nbits):
        if remainder & digit:
            remainder ^= poly
        digit <<= 1
        poly <<= 1
    return remainder


def crc16_inverse(remainder: int) -> int:
    """A number whose bits 16 and up, as 2 big-endian bytes, have CRC16 ``remainder``."""
    return _inverse_shift(remainder, 0, 16)


def _prefix_bytes(inverse: int, nchars: int) -> bytes:
    """The ``nchars`` bytes above bit 16 of an inverse: the prefix candidate."""
    return ((inverse >> 16) & ((1 << (8 * nchars)) - 1)).to_bytes(nchars, "big")


@functools.lru_cache(maxsize=1024)
def shard_prefix(lowest_slot: int) -> bytes:
    """The hash tag SmartRedis gives the shard range starting at ``lowest_slot``.

    Two bytes whose CRC16 is the slot; when they contain a brace, more bits are shifted in
    (a 3-byte prefix) until none does, as SmartRedis 0.6.1's ``_get_crc16_prefix`` does.
    """
    if not 0 <= lowest_slot <= 16384:
        raise ValueError(f"Hash slot {lowest_slot} is beyond the limit of 16384")
    inverse, shifts, nchars = crc16_inverse(lowest_slot), 16, 2
    while _BRACES.intersection(prefix := _prefix_bytes(inverse, nchars)):
        if shifts > _MAX_SHIFTS:
            raise ValueError(f"No prefix without braces was found for hash slot {lowest_slot}")
        inverse = _inverse_shift(inverse, shifts, 1)
        shifts += 1
        nchars = (shifts + 7) // 8
    return prefix


def _raw(key: Key) -> bytes:
    """A key as bytes (UTF-8 for text)."""
    return key.encode() if isinstance(key, str) else bytes(key)


def shard_key(prefix: bytes, key: Key) -> bytes:
    """``{prefix}.<key>``: the shard copy of a model or script."""
    return b"{" + prefix + b"}." + _raw(key)


def tmp_key(prefix: bytes, key: Key, call: str = "") -> bytes:
    """``{prefix}.<key>.TMP`` (SmartRedis's name), or ``{prefix}.<key>.<call>.TMP``: where a
    tensor is copied to run beside the shard's copy. Our client names each run's keys apart
    (``call``), so that concurrent runs with the same tensor names (ensemble members reading
    unprefixed inputs) do not delete each other's inputs; the names live only for one run."""
    middle = f".{call}".encode() if call else b""
    return shard_key(prefix, key) + middle + TMP_SUFFIX.encode()


def strip_shard_prefix(value: bytes) -> bytes:
    """``rest`` for a value ``{...}.rest`` (how SmartRedis shows keys of shard copies)."""
    if value.startswith(b"{"):
        end = value.find(b"}.")
        if end > 0:
            return value[end + 2 :]
    return value


# -- command builders -------------------------------------------------------------------------
def chunk_size_get_command() -> tuple[Arg, ...]:
    """Asks the server for the size of the pieces a model is sent in."""
    return ("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE")


def chunk_size_set_command(chunk_size: int) -> tuple[Arg, ...]:
    """Sets the server's model chunk size (which also chunks AI.MODELGET replies)."""
    return ("AI.CONFIG", "MODEL_CHUNK_SIZE", chunk_size)


def _counted(keyword: str, names: t.Sequence[Key]) -> list[Arg]:
    """``KEYWORD n name...``."""
    return [keyword, len(names), *names]


def model_store_command(
    key: Key,
    backend: str,
    device: str,
    model: bytes | bytearray | memoryview,
    chunk_size: int,
    *,
    tag: str = "",
    batch_size: int = 0,
    min_batch_size: int = 0,
    min_batch_timeout: int = 0,
    inputs: t.Sequence[str] = (),
    outputs: t.Sequence[str] = (),
) -> list[Arg]:
    """AI.MODELSTORE with options in RedisAI's fixed order; the model follows BLOB in pieces
    of at most ``chunk_size`` bytes (one if it is <= 0; none for an empty model), which the
    server joins."""
    command: list[Arg] = ["AI.MODELSTORE", key, backend, device]
    if tag:
        command += ["TAG", tag]
    for keyword, value in (
        ("BATCHSIZE", batch_size),
        ("MINBATCHSIZE", min_batch_size),
        ("MINBATCHTIMEOUT", min_batch_timeout),
    ):
        if value > 0:
            command += [keyword, value]
    if inputs:
        command += _counted("INPUTS", inputs)
    if outputs:
        command += _counted("OUTPUTS", outputs)
    blob = memoryview(model).cast("B")
    step = chunk_size if chunk_size > 0 else max(len(blob), 1)
    command.append("BLOB")
    command += [blob[i : i + step] for i in range(0, len(blob), step)]
    return command


def model_get_command(key: Key) -> tuple[Arg, ...]:
    """AI.MODELGET of the model's bytes only."""
    return ("AI.MODELGET", key, "BLOB")


def model_del_command(key: Key) -> tuple[Arg, ...]:
    """AI.MODELDEL."""
    return ("AI.MODELDEL", key)


def model_execute_command(
    key: Key, inputs: t.Sequence[Key], outputs: t.Sequence[Key], timeout_ms: int
) -> list[Arg]:
    """AI.MODELEXECUTE with counted INPUTS and OUTPUTS and a TIMEOUT (ms)."""
    return ["AI.MODELEXECUTE", key, *_counted("INPUTS", inputs), *_counted("OUTPUTS", outputs)] + [
        "TIMEOUT",
        timeout_ms,
    ]


def script_set_command(key: Key, device: str, source: str) -> tuple[Arg, ...]:
    """AI.SCRIPTSET: the whole TorchScript source in one argument."""
    return ("AI.SCRIPTSET", key, device, "SOURCE", source)


def script_get_command(key: Key) -> tuple[Arg, ...]:
    """AI.SCRIPTGET of the source only."""
    return ("AI.SCRIPTGET", key, "SOURCE")


def script_del_command(key: Key) -> tuple[Arg, ...]:
    """AI.SCRIPTDEL."""
    return ("AI.SCRIPTDEL", key)


def script_run_command(
    key: Key, function: str, inputs: t.Sequence[Key], outputs: t.Sequence[Key]
) -> list[Arg]:
    """AI.SCRIPTRUN (SmartRedis 0.6.1 sends no counts and no TIMEOUT)."""
    return ["AI.SCRIPTRUN", key, function, "INPUTS", *inputs, "OUTPUTS", *outputs]


def info_command(key: Key, reset: bool = False) -> tuple[Arg, ...]:
    """AI.INFO of a model or script; with ``reset`` it zeroes the statistics (reply OK)."""
    return ("AI.INFO", key, "RESETSTAT") if reset else ("AI.INFO", key)


def model_timeout(environ: t.Mapping[str, str] = os.environ) -> int:
    """The AI.MODELEXECUTE TIMEOUT in ms: ``SR_MODEL_TIMEOUT``, read at each call as SmartRedis.

    :raises ValueError: the variable is set to something other than an integer
    """
    text = environ.get(MODEL_TIMEOUT_ENV)
    if text is None or text == "":
        return DEFAULT_MODEL_TIMEOUT_MS
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{MODEL_TIMEOUT_ENV}={text!r} is not an integer") from None


# -- replies ----------------------------------------------------------------------------------
def _bulk(value: Reply, what: str) -> bytes:
    """A bulk-string reply as bytes; an error reply is raised, another type is a ValueError."""
    if isinstance(value, ReplyError):
        raise value
    if not isinstance(value, (bytes, bytearray)):
        raise ValueError(f"{what}: expected a string, got {type(value).__name__}")
    return bytes(value)


def chunk_size_from_reply(reply: Reply) -> int:
    """The chunk size in an ``AI.CONFIG GET MODEL_CHUNK_SIZE`` reply (an integer >= 0).

    :raises ValueError: not an integer (SmartRedis needs one), or negative
    """
    if not isinstance(reply, int):
        raise ValueError(f"An unexpected type was returned for the model chunk size: {reply!r}")
    if reply < 0:
        raise ValueError(f"An invalid, negative value was returned for the chunk size: {reply}")
    return reply


def script_from_reply(reply: Reply) -> str:
    """A script's source from ``AI.SCRIPTGET key SOURCE`` (a bulk string)."""
    return _bulk(reply, "AI.SCRIPTGET").decode(errors="replace")


def model_from_reply(reply: Reply) -> bytes:
    """A model's bytes from ``AI.MODELGET key BLOB``: one string, or an array of chunks."""
    if isinstance(reply, list):
        return b"".join(_bulk(chunk, "AI.MODELGET chunk") for chunk in reply)
    return _bulk(reply, "AI.MODELGET")


def _info_value(value: Reply, strip: bool) -> str:
    """One AI.INFO value as SmartRedis shows it: integers as decimal text."""
    if isinstance(value, int):
        return str(value)
    raw = _bulk(value, "AI.INFO value") if not isinstance(value, str) else value.encode()
    return (strip_shard_prefix(raw) if strip else raw).decode(errors="replace")


def info_from_reply(reply: Reply, strip_prefix: bool) -> dict[str, str]:
    """AI.INFO's alternating names and values as ``{name: text}``, as SmartRedis returns them;
    ``strip_prefix`` drops the ``{P}.`` of shard copies from string values (cluster)."""
    if not isinstance(reply, list) or len(reply) % 2:
        raise ValueError(f"AI.INFO: expected pairs of names and values, got {reply!r}")
    return {
        _bulk(reply[i], "AI.INFO field").decode(errors="replace"): _info_value(
            reply[i + 1], strip_prefix
        )
        for i in range(0, len(reply), 2)
    }
