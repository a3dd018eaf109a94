"""RedisAI 1.2's AI.* grammar and reply shapes as raw commands, for what SmartRedis 0.6.1 never
sends (TENSORSET/TENSORGET VALUES, META-only and BLOB-only replies, MODELGET/SCRIPTGET META,
SCRIPTSTORE/SCRIPTEXECUTE, RESETSTAT, AI.CONFIG, TIMEOUT), and the error replies with their
exact texts (see the SmartRedis/RedisAI facts file): each error stores and changes nothing.
"""

from __future__ import annotations

import threading
import time
import typing as t

import numpy as np
import pytest

from smartredis.wire import Connection, ReplyError
from tests.realclient.test_models_interop import MODEL, ONNX, OUT0, OUT1, SCALE, X, Y

torch = pytest.importorskip("torch")

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
DEFAULT_CHUNK = 511 * 1024 * 1024
SCRIPT = """
def add(a, b):
    return a + b

def pair(a, b):
    return a * b, a - b
"""
ENTRY_SCRIPT = """
def both(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] + tensors[1], tensors[0] * tensors[1]

def scaled(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] * float(args[0]) + float(len(keys))
"""
SLOW = """
def slow(x, n):
    y = x
    for i in range(int(n.item())):
        y = y + 1
    return y
"""
SLOW_TURNS = 300_000
"""Loop turns of SLOW: about a second of the worker's time (4 us a turn)."""
T_BYTES = np.array([[1.5, -2.0], [0.25, 8.0]], dtype=np.float32).tobytes()

NAMES = ("DOUBLE", "FLOAT", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16")
NUMPY = dict(zip(NAMES, ("f8", "f4", "i1", "i2", "i4", "i8", "u1", "u2"), strict=True))


@pytest.fixture
def conn(realclient_db):
    with Connection(realclient_db.addresses[0], timeout=60) as connection:
        yield connection


@pytest.fixture
def chunk_size_restored(conn):
    yield conn
    conn.execute("AI.CONFIG", "MODEL_CHUNK_SIZE", DEFAULT_CHUNK)


def _text(value: t.Any) -> str:
    return bytes(value).decode()


def _pairs(reply: list) -> dict[str, t.Any]:
    return {_text(k): v for k, v in zip(reply[::2], reply[1::2], strict=True)}


def _error(conn: Connection, *command: t.Any) -> str:
    with pytest.raises(ReplyError) as info:
        conn.execute(*command)
    return str(info.value)


def _state(conn: Connection) -> dict[bytes, bytes]:
    """Every key with its serialized value."""
    return {bytes(k): bytes(conn.execute("DUMP", k)) for k in conn.execute("KEYS", "*")}


# -- tensors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_tensorset_values_and_every_tensorget_reply(conn, name):
    dtype = np.dtype(NUMPY[name])
    values = [1, -2, 3, 0, 100, 7] if dtype.kind != "u" else [1, 2, 3, 0, 100, 7]
    if dtype.kind == "f":
        values = [1.5, -2.25, 3e-3, 0.0, 100.125, -7.5]
    want = np.array(values, dtype=dtype).reshape(2, 3)
    assert conn.execute("AI.TENSORSET", "v", name.lower(), 2, 3, "values", *values) == "OK"
    assert bytes(conn.execute("AI.TENSORGET", "v", "BLOB")) == want.tobytes()
    meta = conn.execute("AI.TENSORGET", "v", "META")
    assert meta == [b"dtype", name.encode(), b"shape", [2, 3]]
    assert conn.execute("AI.TENSORGET", "v") == meta + [b"blob", want.tobytes()]
    assert conn.execute("AI.TENSORGET", "v", "meta", "blob") == meta + [b"blob", want.tobytes()]
    got = conn.execute("AI.TENSORGET", "v", "VALUES")
    if dtype.kind == "f":  # doubles: bulk strings in RESP2
        assert all(isinstance(v, bytes) for v in got)
        assert [float(v) for v in got] == want.ravel().astype(float).tolist()
    else:
        assert got == want.ravel().tolist()
    assert conn.execute("AI.TENSORGET", "v", "META", "VALUES") == meta + [b"values", got]


def test_tensorset_without_data_is_zeros_and_blob_is_kept_as_sent(conn):
    assert conn.execute("AI.TENSORSET", "z", "INT16", 2, 2) == "OK"
    assert conn.execute("AI.TENSORGET", "z", "VALUES") == [0, 0, 0, 0]
    fortran = np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))
    conn.execute("AI.TENSORSET", "f", "DOUBLE", 2, 3, "BLOB", fortran.tobytes(order="A"))
    got = [float(v) for v in conn.execute("AI.TENSORGET", "f", "VALUES")]
    assert got == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]  # the bytes as sent, no transposition
    conn.execute("AI.TENSORSET", "f", "UINT8", 1, "BLOB", b"\x07")  # overwrite: new type
    assert conn.execute("AI.TENSORGET", "f", "META") == [b"dtype", b"UINT8", b"shape", [1]]


# -- models ------------------------------------------------------------------------------------
def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_modelstore_every_option_chunked_blob_and_modelget_meta(conn):
    assert (
        conn.execute(
            "AI.MODELSTORE", "m", "torch", "CPU", "TAG", "v1", "BATCHSIZE", 4,
            "MINBATCHSIZE", 2, "MINBATCHTIMEOUT", 100, "BLOB", *_chunks(MODEL, 1000),
        )
        == "OK"
    )  # fmt: skip
    meta = conn.execute("AI.MODELGET", "m", "META")
    assert meta == [
        b"backend", b"TORCH", b"device", b"CPU", b"tag", b"v1", b"batchsize", 4,
        b"minbatchsize", 2, b"inputs", [], b"outputs", [], b"minbatchtimeout", 100,
    ]  # fmt: skip
    assert conn.execute("AI.MODELGET", "m", "META", "BLOB") == meta + [b"blob", MODEL]
    assert conn.execute("AI.MODELGET", "m", "BLOB") == MODEL
    conn.execute("AI.TENSORSET", "x", "FLOAT", 3, 8, "BLOB", X.tobytes())
    conn.execute("AI.TENSORSET", "y", "FLOAT", 3, 8, "BLOB", Y.tobytes())
    reply = conn.execute(
        "AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "y", "OUTPUTS", 2, "o0", "o1", "TIMEOUT", 10000
    )
    assert reply == "OK"
    assert bytes(conn.execute("AI.TENSORGET", "o0", "BLOB")) == OUT0.tobytes()
    assert bytes(conn.execute("AI.TENSORGET", "o1", "BLOB")) == OUT1.tobytes()


def test_modelstore_defaults_and_onnx(conn):
    conn.execute("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", MODEL)
    assert _pairs(conn.execute("AI.MODELGET", "m", "META")) == {
        "backend": b"TORCH",
        "device": b"CPU",
        "tag": b"",
        "batchsize": 0,
        "minbatchsize": 0,
        "inputs": [],
        "outputs": [],
        "minbatchtimeout": 0,
    }
    if ONNX is None:
        return
    conn.execute("AI.MODELSTORE", "o", "ONNX", "CPU", "TAG", "x", "BATCHSIZE", 2, "BLOB", ONNX)
    conn.execute("AI.TENSORSET", "x", "FLOAT", 3, 8, "BLOB", X.tobytes())
    conn.execute("AI.TENSORSET", "y", "FLOAT", 3, 8, "BLOB", Y.tobytes())
    conn.execute("AI.MODELEXECUTE", "o", "INPUTS", 2, "x", "y", "OUTPUTS", 1, "z")
    z = np.frombuffer(bytes(conn.execute("AI.TENSORGET", "z", "BLOB")), np.float32).reshape(3, 8)
    np.testing.assert_allclose(z, X * Y + X, rtol=1e-6)


def test_modelget_blob_in_chunks_of_model_chunk_size(chunk_size_restored):
    conn = chunk_size_restored
    conn.execute("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", MODEL)
    assert conn.execute("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == DEFAULT_CHUNK
    assert conn.execute("AI.CONFIG", "MODEL_CHUNK_SIZE", 1000) == "OK"
    assert conn.execute("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == 1000
    reply = conn.execute("AI.MODELGET", "m", "BLOB")
    assert isinstance(reply, list) and len(reply) == len(MODEL) // 1000 + 1
    assert [bytes(part) for part in reply] == _chunks(MODEL, 1000) + (
        [b""] if len(MODEL) % 1000 == 0 else []
    )
    # a size that divides the model exactly: the last chunk is empty, as in RedisAI
    conn.execute("AI.CONFIG", "MODEL_CHUNK_SIZE", len(MODEL))
    assert conn.execute("AI.MODELGET", "m", "BLOB") == [MODEL, b""]
    assert _pairs(conn.execute("AI.MODELGET", "m", "META", "BLOB"))["blob"] == [MODEL, b""]
    conn.execute("AI.CONFIG", "MODEL_CHUNK_SIZE", len(MODEL) + 1)
    assert conn.execute("AI.MODELGET", "m", "BLOB") == MODEL
    conn.execute("AI.CONFIG", "MODEL_CHUNK_SIZE", -3)  # not positive: back to the default
    assert conn.execute("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == DEFAULT_CHUNK


def test_modeldel(conn):
    conn.execute("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", MODEL)
    assert conn.execute("AI.MODELDEL", "m") == "OK"
    assert conn.execute("EXISTS", "m") == 0
    assert _error(conn, "AI.INFO", "m") == "ERR cannot find run info for key"


# -- scripts -------------------------------------------------------------------------------------
def test_scriptset_scriptget_meta_and_scriptrun(conn):
    assert conn.execute("AI.SCRIPTSET", "s", "CPU", "TAG", "t1", "SOURCE", SCRIPT) == "OK"
    assert conn.execute("AI.SCRIPTGET", "s", "META") == [b"device", b"CPU", b"tag", b"t1"]
    assert conn.execute("AI.SCRIPTGET", "s", "META", "SOURCE") == [
        b"device", b"CPU", b"tag", b"t1", b"source", SCRIPT.encode(),
    ]  # fmt: skip
    assert conn.execute("AI.SCRIPTGET", "s", "SOURCE") == SCRIPT.encode()
    conn.execute("AI.SCRIPTSET", "s2", "CPU", "SOURCE", SCRIPT)
    assert conn.execute("AI.SCRIPTGET", "s2", "META") == [b"device", b"CPU", b"tag", b""]
    a, b = np.arange(4, dtype=np.int64), np.full(4, 3, dtype=np.int64)
    conn.execute("AI.TENSORSET", "a", "INT64", 4, "BLOB", a.tobytes())
    conn.execute("AI.TENSORSET", "b", "INT64", 4, "BLOB", b.tobytes())
    # SmartRedis's form (no counts), and with RedisAI's TIMEOUT before the inputs
    assert conn.execute("AI.SCRIPTRUN", "s", "add", "INPUTS", "a", "b", "OUTPUTS", "c") == "OK"
    assert conn.execute("AI.TENSORGET", "c", "VALUES") == (a + b).tolist()
    reply = conn.execute(
        "AI.SCRIPTRUN", "s", "pair", "TIMEOUT", 10000, "INPUTS", "a", "b", "OUTPUTS", "p", "q"
    )
    assert reply == "OK"
    assert conn.execute("AI.TENSORGET", "p", "VALUES") == (a * b).tolist()
    assert conn.execute("AI.TENSORGET", "q", "VALUES") == (a - b).tolist()
    assert conn.execute("AI.SCRIPTDEL", "s") == "OK"
    assert conn.execute("EXISTS", "s") == 0


def test_scriptstore_and_scriptexecute_with_counted_sections(conn):
    reply = conn.execute(
        "AI.SCRIPTSTORE", "e", "CPU", "TAG", "t", "ENTRY_POINTS", 2, "both", "scaled",
        "SOURCE", ENTRY_SCRIPT,
    )  # fmt: skip
    assert reply == "OK"
    meta = _pairs(conn.execute("AI.SCRIPTGET", "e", "META", "SOURCE"))
    assert (meta["device"], meta["tag"], meta["source"]) == (b"CPU", b"t", ENTRY_SCRIPT.encode())
    a, b = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    conn.execute("AI.TENSORSET", "a", "FLOAT", 2, "BLOB", a.tobytes())
    conn.execute("AI.TENSORSET", "b", "FLOAT", 2, "BLOB", b.tobytes())
    reply = conn.execute(
        "AI.SCRIPTEXECUTE", "e", "both", "KEYS", 1, "a", "INPUTS", 2, "a", "b",
        "ARGS", 2, "x", "y", "OUTPUTS", 2, "sum", "prod", "TIMEOUT", 10000,
    )  # fmt: skip
    assert reply == "OK"
    assert [float(v) for v in conn.execute("AI.TENSORGET", "sum", "VALUES")] == [4.0, 6.0]
    assert [float(v) for v in conn.execute("AI.TENSORGET", "prod", "VALUES")] == [3.0, 8.0]
    # INPUTS and OUTPUTS only
    conn.execute("AI.SCRIPTEXECUTE", "e", "both", "INPUTS", 2, "b", "a", "OUTPUTS", 2, "s2", "p2")
    assert [float(v) for v in conn.execute("AI.TENSORGET", "p2", "VALUES")] == [3.0, 8.0]


def test_scriptexecute_passes_keys_and_args_to_the_script(conn):
    conn.execute(
        "AI.SCRIPTSTORE", "e", "CPU", "ENTRY_POINTS", 2, "both", "scaled", "SOURCE", ENTRY_SCRIPT
    )
    conn.execute("AI.TENSORSET", "a", "FLOAT", 2, "VALUES", 1, 2)
    reply = conn.execute(
        "AI.SCRIPTEXECUTE", "e", "scaled", "KEYS", 2, "a", "b", "INPUTS", 1, "a",
        "ARGS", 1, "10", "OUTPUTS", 1, "out",
    )  # fmt: skip
    assert reply == "OK"
    assert [float(v) for v in conn.execute("AI.TENSORGET", "out", "VALUES")] == [12.0, 22.0]


# -- AI.INFO and AI.CONFIG --------------------------------------------------------------------
def test_ai_info_reply_and_resetstat(conn):
    conn.execute("AI.MODELSTORE", "m", "TORCH", "CPU", "TAG", "v2", "BLOB", MODEL)
    conn.execute("AI.SCRIPTSET", "s", "CPU", "SOURCE", SCRIPT)
    fresh = conn.execute("AI.INFO", "m")
    assert fresh == [
        b"key", b"m", b"type", b"MODEL", b"backend", b"TORCH", b"device", b"CPU",
        b"tag", b"v2", b"duration", 0, b"samples", 0, b"calls", 0, b"errors", 0,
    ]  # fmt: skip
    conn.execute("AI.TENSORSET", "x", "FLOAT", 3, 8, "BLOB", X.tobytes())
    conn.execute("AI.TENSORSET", "y", "FLOAT", 3, 8, "BLOB", Y.tobytes())
    for _ in range(2):
        conn.execute("AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "y", "OUTPUTS", 2, "o0", "o1")
    with pytest.raises(ReplyError):  # a failing run counts as a call and an error
        conn.execute("AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "o0")
    info = _pairs(conn.execute("AI.INFO", "m"))
    assert (info["calls"], info["samples"], info["errors"]) == (3, 6, 1)
    assert isinstance(info["duration"], int) and info["duration"] > 0
    assert conn.execute("AI.INFO", "m", "RESETSTAT") == "OK"
    assert conn.execute("AI.INFO", "m") == fresh
    conn.execute("AI.SCRIPTRUN", "s", "add", "INPUTS", "x", "y", "OUTPUTS", "z")
    script = _pairs(conn.execute("AI.INFO", "s"))
    assert (script["type"], script["backend"], script["samples"], script["calls"]) == (
        b"SCRIPT",
        b"TORCH",
        -1,
        1,
    )
    assert conn.execute("AI.INFO", "s", "resetstat") == "OK"
    assert _pairs(conn.execute("AI.INFO", "s"))["calls"] == 0


def test_ai_config(chunk_size_restored):
    conn = chunk_size_restored
    assert conn.execute("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == DEFAULT_CHUNK
    assert conn.execute("AI.CONFIG", "MODEL_CHUNK_SIZE", 4096) == "OK"
    assert conn.execute("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == 4096
    assert conn.execute("AI.CONFIG", "MODEL_CHUNK_SIZE", "lots") == "OK"
    assert conn.execute("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == DEFAULT_CHUNK
    old = conn.execute("AI.CONFIG", "GET", "BACKENDSPATH")
    try:
        assert conn.execute("AI.CONFIG", "BACKENDSPATH", "/opt/backends") == "OK"
        assert conn.execute("AI.CONFIG", "GET", "BACKENDSPATH") == b"/opt/backends"
    finally:
        conn.execute("AI.CONFIG", "BACKENDSPATH", old if old is not None else "")
    assert conn.execute("AI.CONFIG", "LOADBACKEND", "TORCH", "redisai_torch.so") == "OK"
    assert conn.execute("AI.CONFIG", "GET", "NOTHING") is None
    assert _error(conn, "AI.CONFIG", "LOADBACKEND", "CAFFE", "x.so") == "ERR unsupported backend"
    assert (
        _error(conn, "AI.CONFIG", "MODEL_CHUNK_SIZE") == "ERR MODEL_CHUNK_SIZE: missing chunk size"
    )
    assert _error(conn, "AI.CONFIG", "BACKENDSPATH") == "ERR BACKENDSPATH: missing path argument"
    assert _error(conn, "AI.CONFIG", "THREADS", 4) == "ERR unsupported subcommand"
    assert _error(conn, "AI.CONFIG") == "ERR wrong number of arguments for 'AI.CONFIG' command"


# -- TIMEOUT ------------------------------------------------------------------------------------
def _in_thread(address: str, *command: t.Any) -> tuple[threading.Thread, list[t.Any]]:
    """Send ``command`` on a connection of its own; its reply (or error) lands in the list."""
    outcome: list[t.Any] = []

    def call() -> None:
        with Connection(address, timeout=60) as own:
            try:
                outcome.append(own.execute(*command))
            except ReplyError as exc:
                outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    return thread, outcome


def _busy_worker(conn: Connection, address: str) -> tuple[threading.Thread, list[t.Any]]:
    """Keep the database's one inference worker busy for about a second."""
    conn.execute("AI.SCRIPTSET", "slow", "CPU", "SOURCE", SLOW)
    conn.execute("AI.TENSORSET", "zeros", "FLOAT", 2, "VALUES", 0, 0)
    conn.execute("AI.TENSORSET", "turns", "INT64", 1, "VALUES", SLOW_TURNS)
    conn.execute("AI.SCRIPTRUN", "slow", "slow", "INPUTS", "zeros", "turns", "OUTPUTS", "warm")
    busy = _in_thread(
        address, "AI.SCRIPTRUN", "slow", "slow", "INPUTS", "zeros", "turns", "OUTPUTS", "done"
    )
    time.sleep(0.2)  # the idle worker takes it at once
    return busy


def test_modelexecute_timeout_while_queued_answers_timedout(conn, realclient_db):
    conn.execute("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", MODEL)
    conn.execute("AI.TENSORSET", "x", "FLOAT", 1, 8, "BLOB", X[:1].tobytes())
    thread, outcome = _busy_worker(conn, realclient_db.addresses[0])
    started = time.monotonic()
    reply = conn.execute(
        "AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "x", "OUTPUTS", 2, "late0", "late1",
        "TIMEOUT", 100,
    )  # fmt: skip
    waited = time.monotonic() - started
    assert reply == "TIMEDOUT"
    assert waited >= 0.09 and thread.is_alive(), waited  # answered while the worker was busy
    thread.join()
    assert outcome == ["OK"]
    assert conn.execute("EXISTS", "late0", "late1") == 0  # it never ran
    # the worker is free again: the same call now runs
    conn.execute("AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "x", "OUTPUTS", 2, "o0", "o1")
    got = np.frombuffer(bytes(conn.execute("AI.TENSORGET", "o0", "BLOB")), np.float32)
    np.testing.assert_array_equal(got, X[0] * SCALE + X[0])


def test_scriptexecute_timeout_while_running_writes_nothing(conn, realclient_db):
    conn.execute("AI.SCRIPTSET", "slow", "CPU", "SOURCE", SLOW)
    conn.execute("AI.TENSORSET", "zeros", "FLOAT", 2, "VALUES", 0, 0)
    conn.execute("AI.TENSORSET", "turns", "INT64", 1, "VALUES", SLOW_TURNS)
    reply = conn.execute(
        "AI.SCRIPTEXECUTE", "slow", "slow", "INPUTS", 2, "zeros", "turns",
        "OUTPUTS", 1, "out", "TIMEOUT", 100,
    )  # fmt: skip
    assert reply == "TIMEDOUT"
    # once the run ended, a later call is answered, and the timed-out output was not written
    conn.execute("AI.TENSORSET", "one", "INT64", 1, "VALUES", 1)
    conn.execute("AI.SCRIPTRUN", "slow", "slow", "INPUTS", "zeros", "one", "OUTPUTS", "after")
    assert conn.execute("EXISTS", "out") == 0
    assert [float(v) for v in conn.execute("AI.TENSORGET", "after", "VALUES")] == [1.0, 1.0]


# -- errors: exact texts, nothing stored or changed ----------------------------------------------
@pytest.fixture
def populated(conn):
    """A tensor ``t``, a model ``m``, a script ``s``, a hash, a list and a plain string."""
    conn.execute("AI.TENSORSET", "t", "FLOAT", 2, 2, "BLOB", T_BYTES)
    conn.execute("AI.MODELSTORE", "m", "TORCH", "CPU", "TAG", "keep", "BLOB", MODEL)
    conn.execute("AI.SCRIPTSET", "s", "CPU", "SOURCE", SCRIPT)
    conn.execute("AI.TENSORSET", "x", "FLOAT", 3, 8, "BLOB", X.tobytes())
    conn.execute("HSET", "h", "f", "v")
    conn.execute("RPUSH", "l", "a")
    conn.execute("SET", "str", "hello")
    return conn


def _arity(command: str) -> str:
    return f"ERR wrong number of arguments for '{command}' command"


_BLOB4 = b"\0" * 16
ERRORS = [
    # AI.TENSORSET
    (
        "tensorset-dtype",
        ["AI.TENSORSET", "t", "BOOL", 2, 2, "BLOB", b"\0" * 4],
        "ERR invalid data type",
    ),
    (
        "tensorset-dtype-new",
        ["AI.TENSORSET", "new", "FLOAT16", 2, "BLOB", b"\0" * 4],
        "ERR invalid data type",
    ),
    (
        "tensorset-dim-zero",
        ["AI.TENSORSET", "t", "FLOAT", 2, 0, "BLOB", b""],
        "ERR invalid or negative value found in tensor shape",
    ),
    (
        "tensorset-dim-negative",
        ["AI.TENSORSET", "new", "FLOAT", -2, "BLOB", b""],
        "ERR invalid or negative value found in tensor shape",
    ),
    (
        "tensorset-dim-text",
        ["AI.TENSORSET", "t", "FLOAT", "two", "BLOB", b""],
        "ERR invalid or negative value found in tensor shape",
    ),
    (
        "tensorset-blob-short",
        ["AI.TENSORSET", "t", "FLOAT", 2, 2, "BLOB", b"\0" * 15],
        "ERR data length does not match tensor shape and type",
    ),
    (
        "tensorset-blob-long",
        ["AI.TENSORSET", "t", "DOUBLE", 2, 2, "BLOB", _BLOB4],
        "ERR data length does not match tensor shape and type",
    ),
    (
        "tensorset-blob-new",
        ["AI.TENSORSET", "new", "INT32", 3, "BLOB", b"\0" * 8],
        "ERR data length does not match tensor shape and type",
    ),
    (
        "tensorset-blob-two",
        ["AI.TENSORSET", "t", "UINT8", 1, "BLOB", b"a", b"b"],
        "ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command",
    ),
    (
        "tensorset-values-count",
        ["AI.TENSORSET", "t", "INT32", 2, "VALUES", 1],
        "ERR wrong number of values was given in 'AI.TENSORSET' command",
    ),
    (
        "tensorset-value-bad-new",
        ["AI.TENSORSET", "new", "INT32", 2, "VALUES", 1, "x"],
        "ERR invalid value",
    ),
    (
        "tensorset-value-bad",
        ["AI.TENSORSET", "t", "INT32", 2, "VALUES", 1, "x"],
        "ERR invalid value",
    ),
    ("tensorset-wrongtype", ["AI.TENSORSET", "h", "FLOAT", 1, "BLOB", b"\0" * 4], WRONGTYPE),
    ("tensorset-wrongtype-model", ["AI.TENSORSET", "m", "FLOAT", 1, "BLOB", b"\0" * 4], WRONGTYPE),
    ("tensorset-arity", ["AI.TENSORSET", "t", "FLOAT"], _arity("AI.TENSORSET")),
    # AI.TENSORGET
    (
        "tensorget-missing",
        ["AI.TENSORGET", "nope", "META", "BLOB"],
        "ERR tensor key is empty or in a different shard",
    ),
    ("tensorget-hash", ["AI.TENSORGET", "h", "META"], WRONGTYPE),
    ("tensorget-string", ["AI.TENSORGET", "str", "BLOB"], WRONGTYPE),
    ("tensorget-model", ["AI.TENSORGET", "m", "META", "BLOB"], WRONGTYPE),
    ("tensorget-format", ["AI.TENSORGET", "t", "JSON"], "ERR unsupported data format"),
    (
        "tensorget-blob-values",
        ["AI.TENSORGET", "t", "BLOB", "VALUES"],
        "ERR both BLOB and VALUES specified",
    ),
    ("tensorget-arity", ["AI.TENSORGET", "t", "META", "BLOB", "VALUES"], _arity("AI.TENSORGET")),
    # AI.MODELSTORE
    (
        "modelstore-backend",
        ["AI.MODELSTORE", "m", "PYTORCH", "CPU", "BLOB", MODEL],
        "ERR unsupported backend",
    ),
    (
        "modelstore-device",
        ["AI.MODELSTORE", "m", "TORCH", "TPU", "BLOB", MODEL],
        "ERR Invalid DEVICE",
    ),
    (
        "modelstore-device-new",
        ["AI.MODELSTORE", "new", "TORCH", "GPU:x", "BLOB", MODEL],
        "ERR Invalid DEVICE",
    ),
    ("modelstore-arity", ["AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB"], _arity("AI.MODELSTORE")),
    (
        "modelstore-no-blob",
        ["AI.MODELSTORE", "new", "TORCH", "CPU", "TAG", "x", "BLOB"],
        "ERR Insufficient arguments, missing model BLOB",
    ),
    (
        "modelstore-batchsize",
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "BATCHSIZE", "many", "BLOB", MODEL],
        "ERR Invalid argument for BATCHSIZE",
    ),
    (
        "modelstore-minbatchsize",
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "MINBATCHSIZE", 2, "BLOB", MODEL],
        "ERR MINBATCHSIZE specified without BATCHSIZE",
    ),
    (
        "modelstore-minbatchsize-bad",
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "BATCHSIZE", 4, "MINBATCHSIZE", "x", "BLOB", MODEL],
        "ERR Invalid argument for MINBATCHSIZE",
    ),
    (
        "modelstore-minbatchtimeout",
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "BATCHSIZE", 4, "MINBATCHTIMEOUT", 9, "BLOB", MODEL],
        "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE",
    ),
    (
        "modelstore-tflite-batch",
        ["AI.MODELSTORE", "new", "TFLITE", "CPU", "BATCHSIZE", 4, "BLOB", b"x"],
        "ERR Auto-batching not supported by the TFLITE backend",
    ),
    (
        "modelstore-inputs-torch",
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "INPUTS", 1, "a", "BLOB", MODEL],
        "ERR INPUTS argument should not be specified for this backend",
    ),
    (
        "modelstore-tf-no-inputs",
        ["AI.MODELSTORE", "new", "TF", "CPU", "BLOB", b"graph"],
        "ERR INPUTS not specified for TF",
    ),
    (
        "modelstore-tf-no-outputs",
        ["AI.MODELSTORE", "new", "TF", "CPU", "INPUTS", 1, "a", "BLOB", b"graph"],
        "ERR OUTPUTS not specified for TF",
    ),
    (
        "modelstore-keyword",
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "WEIGHTS", "BLOB", MODEL],
        "ERR Invalid argument, expected BLOB",
    ),
    ("modelstore-wrongtype", ["AI.MODELSTORE", "t", "TORCH", "CPU", "BLOB", MODEL], WRONGTYPE),
    (
        "modelstore-wrongtype-script",
        ["AI.MODELSTORE", "s", "TORCH", "CPU", "BLOB", MODEL],
        WRONGTYPE,
    ),
    # AI.MODELGET / AI.MODELDEL
    ("modelget-missing", ["AI.MODELGET", "nope", "META"], "ERR model key is empty"),
    ("modelget-wrongtype", ["AI.MODELGET", "t", "BLOB"], WRONGTYPE),
    ("modelget-nothing", ["AI.MODELGET", "m"], "ERR no META or BLOB specified"),
    ("modeldel-missing", ["AI.MODELDEL", "nope"], "ERR model key is empty"),
    ("modeldel-wrongtype", ["AI.MODELDEL", "t"], WRONGTYPE),
    ("modeldel-script", ["AI.MODELDEL", "s"], WRONGTYPE),
    ("modeldel-arity", ["AI.MODELDEL", "m", "t"], _arity("AI.MODELDEL")),
    # AI.MODELEXECUTE
    (
        "modelexecute-missing",
        ["AI.MODELEXECUTE", "nope", "INPUTS", 1, "x", "OUTPUTS", 1, "o"],
        "ERR model key is empty",
    ),
    (
        "modelexecute-wrongtype",
        ["AI.MODELEXECUTE", "t", "INPUTS", 1, "x", "OUTPUTS", 1, "o"],
        WRONGTYPE,
    ),
    (
        "modelexecute-input-missing",
        ["AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "nope", "OUTPUTS", 2, "o", "p"],
        "ERR tensor key is empty or in a different shard",
    ),
    (
        "modelexecute-input-wrongtype",
        ["AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "h", "OUTPUTS", 2, "o", "p"],
        WRONGTYPE,
    ),
    (
        "modelexecute-input-count",
        ["AI.MODELEXECUTE", "m", "INPUTS", 0, "OUTPUTS", 0, "TIMEOUT", 9],
        "ERR Input count must be a positive integer",
    ),
    (
        "modelexecute-no-inputs",
        ["AI.MODELEXECUTE", "m", "OUTPUTS", 1, "o", "TIMEOUT", 100, "x"],
        "Invalid argument: x",
    ),
    (
        "modelexecute-trailing",
        ["AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "x", "OUTPUTS", 2, "o", "p", "FAST"],
        "Invalid argument: FAST",
    ),
    # AI.SCRIPTSET / SCRIPTGET / SCRIPTDEL / SCRIPTRUN
    (
        "scriptset-no-source",
        ["AI.SCRIPTSET", "new", "CPU", "TAG", "x"],
        "ERR Insufficient arguments, missing script SOURCE",
    ),
    ("scriptset-device", ["AI.SCRIPTSET", "s", "QPU", "SOURCE", SCRIPT], "ERR Invalid DEVICE"),
    ("scriptset-wrongtype", ["AI.SCRIPTSET", "m", "CPU", "SOURCE", SCRIPT], WRONGTYPE),
    ("scriptget-missing", ["AI.SCRIPTGET", "nope", "SOURCE"], "ERR script key is empty"),
    ("scriptget-wrongtype", ["AI.SCRIPTGET", "m", "SOURCE"], WRONGTYPE),
    ("scriptget-nothing", ["AI.SCRIPTGET", "s"], "ERR no META or SOURCE specified"),
    ("scriptdel-missing", ["AI.SCRIPTDEL", "nope"], "ERR script key is empty"),
    ("scriptdel-wrongtype", ["AI.SCRIPTDEL", "m"], WRONGTYPE),
    (
        "scriptrun-missing",
        ["AI.SCRIPTRUN", "nope", "add", "INPUTS", "x", "x", "OUTPUTS", "o"],
        "ERR script key is empty",
    ),
    (
        "scriptrun-input-missing",
        ["AI.SCRIPTRUN", "s", "add", "INPUTS", "x", "nope", "OUTPUTS", "o"],
        "ERR tensor key is empty or in a different shard",
    ),
    (
        "scriptrun-inputs-twice",
        ["AI.SCRIPTRUN", "s", "add", "INPUTS", "x", "INPUTS", "x", "OUTPUTS", "o"],
        "ERR Already encountered an INPUTS section in SCRIPTRUN",
    ),
    (
        "scriptrun-outputs-twice",
        ["AI.SCRIPTRUN", "s", "add", "INPUTS", "x", "x", "OUTPUTS", "o", "OUTPUTS", "p"],
        "ERR Already encountered an OUTPUTS keyword in SCRIPTRUN",
    ),
    (
        "scriptrun-junk",
        ["AI.SCRIPTRUN", "s", "add", "FAST", "INPUTS", "x", "x", "OUTPUTS", "o"],
        "ERR Unrecongnized parameter to SCRIPTRUN",
    ),
    (
        "scriptrun-list-outside",
        ["AI.SCRIPTRUN", "s", "add", "INPUTS", "x", "x", "OUTPUTS", "$", "o"],
        "ERR Encountered a variable size list of tensors outside of input section",
    ),
    (
        "scriptexecute-input-missing",
        ["AI.SCRIPTEXECUTE", "s", "add", "INPUTS", 2, "x", "nope", "OUTPUTS", 1, "o"],
        "ERR tensor key is empty or in a different shard",
    ),
    # AI.INFO
    ("info-missing", ["AI.INFO", "nope"], "ERR cannot find run info for key"),
    ("info-arity", ["AI.INFO", "m", "RESETSTAT", "now"], _arity("AI.INFO")),
]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param(
            command,
            expected,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=bug[0])] if bug else [],
        )
        for name, command, expected, *bug in ERRORS
    ],
)
def test_error_reply_changes_nothing(populated, command, expected):
    conn = populated
    before = _state(conn)
    assert _error(conn, *command) == expected
    assert _state(conn) == before


def _runs(conn: Connection) -> None:
    """The stored model and script still run as before."""
    conn.execute("AI.TENSORSET", "y", "FLOAT", 3, 8, "BLOB", Y.tobytes())
    conn.execute("AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "y", "OUTPUTS", 2, "o0", "o1")
    assert bytes(conn.execute("AI.TENSORGET", "o0", "BLOB")) == OUT0.tobytes()
    conn.execute("AI.SCRIPTRUN", "s", "add", "INPUTS", "x", "y", "OUTPUTS", "sum")
    assert bytes(conn.execute("AI.TENSORGET", "sum", "BLOB")) == (X + Y).tobytes()


@pytest.mark.parametrize(
    "command",
    [
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", b"this is not a TorchScript archive"],
        ["AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", MODEL[:100], MODEL[200:]],
        ["AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", b"\x08\x07garbage"],
        ["AI.MODELSTORE", "new", "TORCH", "CPU", "BLOB", MODEL[: len(MODEL) // 2]],
        ["AI.MODELSTORE", "new", "TF", "CPU", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c",
         "BLOB", b"not a graph"],
        ["AI.SCRIPTSET", "s", "CPU", "SOURCE", "def add(a, b):\n    return a +\n"],
        ["AI.SCRIPTSET", "new", "CPU", "SOURCE", "this is not python"],
    ],
    ids=["torch-garbage", "torch-damaged", "onnx-garbage", "torch-truncated-new", "tf", "script",
         "script-new"],
)  # fmt: skip
def test_bad_model_or_script_is_refused_with_the_backends_reason(populated, command):
    conn = populated
    before = _state(conn)
    message = _error(conn, *command)
    assert message.startswith("ERR ") and len(message) > 20, message
    assert _state(conn) == before
    assert _pairs(conn.execute("AI.MODELGET", "m", "META"))["tag"] == b"keep"
    _runs(conn)


def test_scriptrun_variadic_input_list(conn):
    """``$`` in AI.SCRIPTRUN's inputs: the tensors after it reach the script as one
    List[Tensor] argument (RedisAI 1.2's deprecated grammar)."""
    source = "def total(first, rest: List[Tensor]):\n    return first + torch.stack(rest).sum(0)\n"
    conn.execute("AI.SCRIPTSET", "v", "CPU", "SOURCE", source)
    for key, value in (("a", 1), ("b", 10), ("c", 100)):
        conn.execute("AI.TENSORSET", key, "INT64", 2, "VALUES", value, value)
    reply = conn.execute("AI.SCRIPTRUN", "v", "total", "INPUTS", "a", "$", "b", "c", "OUTPUTS", "o")
    assert reply == "OK"
    assert conn.execute("AI.TENSORGET", "o", "VALUES") == [111, 111]


def test_output_of_the_wrong_type_fails_before_anything_is_written(populated):
    conn = populated
    conn.execute("AI.TENSORSET", "y", "FLOAT", 3, 8, "BLOB", Y.tobytes())
    before = _state(conn)
    command = ["AI.MODELEXECUTE", "m", "INPUTS", 2, "x", "y", "OUTPUTS", 2, "o0", "h"]
    assert _error(conn, *command) == WRONGTYPE
    assert _state(conn) == before


def test_failing_runs_write_nothing(populated):
    conn = populated
    conn.execute("SET", "o0", "old")
    before = _state(conn)
    # the model takes two inputs; the script has no function "nope"
    message = _error(conn, "AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 2, "o0", "o1")
    assert message.startswith("ERR ")
    message = _error(conn, "AI.SCRIPTRUN", "s", "nope", "INPUTS", "x", "OUTPUTS", "o0")
    assert message.startswith("ERR ") and "nope" in message
    message = _error(conn, "AI.SCRIPTRUN", "s", "pair", "INPUTS", "x", "x", "OUTPUTS", "o0")
    assert message.startswith("ERR ")  # two results, one output named
    assert _state(conn) == before
    assert _pairs(conn.execute("AI.INFO", "m"))["errors"] == 1
    assert _pairs(conn.execute("AI.INFO", "s"))["errors"] == 2
