"""A tensor over 512 MiB through the official client, once the database's largest message
(``Orchestrator.set_max_message_size``) allows it: put by the real client (one AI.TENSORSET
BLOB), read back by both clients; and one our client put (in parts), read by the real client.

Each test holds about 3 copies of 600 MB at its peak (the writer's array, the server's
copies); uint8 data, compared by SHA-256. SMARTREDIS_SKIP_BIG_TENSOR=1 skips them on a small
machine.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from smartredis import Client
from tests.local.client.conftest import _emptied, _use
from tests.realclient.conftest import experiment_db

pytestmark = pytest.mark.skipif(
    os.environ.get("SMARTREDIS_SKIP_BIG_TENSOR") == "1",
    reason="SMARTREDIS_SKIP_BIG_TENSOR=1: the >512 MiB tensor tests need about 2 GiB",
)

SIZE = 600_000_000
"""Bytes of the tensor: over 512 MiB (536,870,912), Valkey's default proto-max-bulk-len."""
MAX_MESSAGE = 1 << 30
SEED = 20240607
SOCKET_TIMEOUT = {"SR_SOCKET_TIMEOUT": "60000"}
"""The real client waits at most SR_SOCKET_TIMEOUT ms (250 by default) for a reply's bytes;
the server needs about a second to copy 600 MB into its reply before it sends the first one
(the client then retries until SR_CMD_TIMEOUT and fails with "Failed to get reply: Resource
temporarily unavailable")."""

# Made the same way on both sides: uint8 drawn directly (no wider temporary array).
_MAKE = """
def make():
    return np.random.default_rng(inputs["seed"]).integers(
        0, 256, size=inputs["size"], dtype=np.uint8)
"""


def _make() -> np.ndarray:
    return np.random.default_rng(SEED).integers(0, 256, size=SIZE, dtype=np.uint8)


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(memoryview(np.ascontiguousarray(array)).cast("B")).hexdigest()


@pytest.fixture(scope="module")
def _big_db(real_smartredis, tmp_path_factory):
    with experiment_db(
        tmp_path_factory.mktemp("realclient-big"),
        configure=lambda db: db.set_max_message_size(MAX_MESSAGE),
    ) as db:
        yield db


@pytest.fixture
def big_db(_big_db, monkeypatch):
    return _use(_emptied(_big_db), monkeypatch)


def test_real_client_puts_a_tensor_over_512_mib(real_smartredis, big_db):
    out = real_smartredis.run(
        _MAKE
        + """
import hashlib
a = make()
outputs["sha"] = hashlib.sha256(memoryview(a)).hexdigest()
c = Client()
try:
    c.put_tensor("big", a)
except Exception as exc:  # reported to the test, which says what went wrong
    outputs["put_error"] = str(exc)
del a
if "put_error" not in outputs:
    b = c.get_tensor("big")
    outputs["shape"] = list(b.shape)
    outputs["dtype"] = str(b.dtype)
    outputs["sha_back"] = hashlib.sha256(memoryview(np.ascontiguousarray(b))).hexdigest()
""",
        big_db,
        {"seed": SEED, "size": SIZE},
        env=SOCKET_TIMEOUT,
        timeout=600,
    )
    assert "put_error" not in out, out["put_error"]
    assert out["sha"] == out["sha_back"]
    assert (out["shape"], out["dtype"]) == ([SIZE], "uint8")
    back = Client().get_tensor("big")
    assert back.shape == (SIZE,) and back.dtype == np.uint8
    assert _sha256(back) == out["sha"]


def test_our_tensor_over_512_mib_read_by_real_client(real_smartredis, big_db):
    array = _make()
    sha = _sha256(array)
    Client().put_tensor("big", array)
    del array
    out = real_smartredis.run(
        """
import hashlib
b = Client().get_tensor("big")
outputs["shape"] = list(b.shape)
outputs["dtype"] = str(b.dtype)
outputs["sha"] = hashlib.sha256(memoryview(np.ascontiguousarray(b))).hexdigest()
""",
        big_db,
        env=SOCKET_TIMEOUT,
        timeout=600,
    )
    assert (out["shape"], out["dtype"]) == ([SIZE], "uint8")
    assert out["sha"] == sha
