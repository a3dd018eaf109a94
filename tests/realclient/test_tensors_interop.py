"""Tensors of all 8 SmartRedis dtypes, C- and Fortran-ordered: the official client stores
them with AI.TENSORSET and reads them with AI.TENSORGET (our module), ours with SET/GET of the
same string, and each reads what the other wrote; standalone and 3-shard cluster.
"""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Client
from smartredis.wire.connection import Connection

DTYPES = ("float64", "float32", "int8", "int16", "int32", "int64", "uint8", "uint16")
SHAPE = (3, 4, 5)


def _arrays() -> dict[str, np.ndarray]:
    """One (3, 4, 5) array per dtype, extremes included (inf and NaN for floats)."""
    rng = np.random.default_rng(20240601)
    out = {}
    for name in DTYPES:
        dtype = np.dtype(name)
        if dtype.kind == "f":
            info = np.finfo(dtype)
            array = (rng.standard_normal(SHAPE) * 1e3).astype(dtype)
            array.flat[:6] = [np.inf, -np.inf, np.nan, info.max, info.tiny, -0.0]
        else:
            info = np.iinfo(dtype)
            array = rng.integers(info.min, info.max, SHAPE, dtype=dtype, endpoint=True)
            array.flat[:2] = [info.min, info.max]
        out[name] = array
    return out


ARRAYS = _arrays()


def _memory_order(array: np.ndarray) -> np.ndarray:
    """What a Fortran-ordered ``array`` is when its memory is read as C order with the same
    shape: SmartRedis 0.6.1 sends a Fortran array's buffer as is (see the facts file, §1.1)."""
    return np.asfortranarray(array).ravel(order="K").reshape(array.shape)


def _same(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    np.testing.assert_array_equal(got, want, err_msg=what)


def test_real_client_tensors_read_by_ours(real_smartredis, realclient_any_db):
    out = real_smartredis.run(
        """
        c = Client()
        for name, a in inputs.items():
            c.put_tensor(name + ".c", a)
            f = np.asfortranarray(a)
            outputs[name + ".f_base"] = f.base is None  # sent as its raw buffer
            c.put_tensor(name + ".f", f)
            c.put_tensor(name + ".t", a.transpose(2, 0, 1))  # a view: the client copies it
            c.put_tensor(name + ".vec", a.ravel()[:7].copy())
        """,
        realclient_any_db,
        ARRAYS,
    )
    assert all(out[f"{name}.f_base"] for name in DTYPES)
    client = Client()
    for name, array in ARRAYS.items():
        _same(client.get_tensor(f"{name}.c"), array, f"{name} C order")
        _same(client.get_tensor(f"{name}.f"), _memory_order(array), f"{name} Fortran order")
        _same(client.get_tensor(f"{name}.t"), array.transpose(2, 0, 1), f"{name} transposed")
        _same(client.get_tensor(f"{name}.vec"), array.ravel()[:7], f"{name} 1-D")


def test_our_tensors_read_by_real_client(real_smartredis, realclient_any_db):
    client = Client()
    for name, array in ARRAYS.items():
        client.put_tensor(f"{name}.c", array)
        client.put_tensor(f"{name}.f", np.asfortranarray(array))
        client.put_tensor(f"{name}.t", array.transpose(2, 0, 1))
        client.put_tensor(f"{name}.vec", array.ravel()[:7].copy())
    out = real_smartredis.run(
        """
        c = Client()
        for name in inputs["names"]:
            for kind in ("c", "f", "t", "vec"):
                outputs[f"{name}.{kind}"] = c.get_tensor(f"{name}.{kind}")
        """,
        realclient_any_db,
        {"names": list(DTYPES)},
    )
    for name, array in ARRAYS.items():
        _same(out[f"{name}.c"], array, f"{name} C order")
        _same(out[f"{name}.f"], array, f"{name} Fortran order")  # we store C order
        _same(out[f"{name}.t"], array.transpose(2, 0, 1), f"{name} transposed")
        _same(out[f"{name}.vec"], array.ravel()[:7], f"{name} 1-D")


def test_both_clients_store_the_same_bytes(real_smartredis, realclient_db):
    real_smartredis.run(
        """
        c = Client()
        for name, a in inputs.items():
            c.put_tensor("theirs." + name, a)
        """,
        realclient_db,
        ARRAYS,
    )
    client = Client()
    for name, array in ARRAYS.items():
        client.put_tensor(f"ours.{name}", array)
    with Connection(realclient_db.addresses[0]) as conn:
        for name in DTYPES:
            theirs = bytes(conn.execute("GET", f"theirs.{name}"))
            assert theirs == bytes(conn.execute("GET", f"ours.{name}")), name


@pytest.mark.parametrize("writer", ["real", "ours"])
def test_tensor_helpers_across_clients(real_smartredis, realclient_any_db, writer):
    """exists/poll/copy/rename/delete of a tensor the other client wrote."""
    array = ARRAYS["int16"]
    if writer == "real":
        real_smartredis.run(
            "Client().put_tensor('t', inputs['a'])", realclient_any_db, {"a": array}
        )
        client = Client()
        assert client.tensor_exists("t") and client.poll_tensor("t", 10, 2)
        client.copy_tensor("t", "copy")
        client.rename_tensor("t", "moved")
        assert not client.tensor_exists("t")
        _same(client.get_tensor("copy"), array, "copy")
        _same(client.get_tensor("moved"), array, "moved")
        client.delete_tensor("moved")
        assert not client.tensor_exists("moved")
        return
    Client().put_tensor("t", array)
    out = real_smartredis.run(
        """
        c = Client()
        outputs["exists"] = c.tensor_exists("t") and c.poll_tensor("t", 10, 2)
        c.copy_tensor("t", "copy")
        c.rename_tensor("t", "moved")
        outputs["gone"] = not c.tensor_exists("t")
        outputs["copy"] = c.get_tensor("copy")
        outputs["moved"] = c.get_tensor("moved")
        c.delete_tensor("copy")
        """,
        realclient_any_db,
    )
    assert out["exists"] and out["gone"]
    _same(out["copy"], array, "copy")
    _same(out["moved"], array, "moved")
    client = Client()
    assert not client.tensor_exists("copy")
    _same(client.get_tensor("moved"), array, "moved, read by ours")
