"""Dataset metadata fields encode byte for byte as SmartRedis 0.6 stores them.

The known answers below are HGETALL values of ``{ka}.meta`` and ``{kt}.meta`` as written by
the official client (``smartredis==0.6.1``, x86-64 Linux) with::

    d = Dataset("ka")
    for v in (0.1, -np.inf): d.add_meta_scalar("double", np.float64(v))
    for v in (-1.5, 1e30): d.add_meta_scalar("float", np.float32(v))
    for v in (-2**31, 2**31 - 1, 1): d.add_meta_scalar("int32", np.int32(v))
    for v in (-2**63, 123456789012345): d.add_meta_scalar("int64", np.int64(v))
    for v in (0, 2**32 - 1): d.add_meta_scalar("uint32", np.uint32(v))
    for v in (0, 2**64 - 1): d.add_meta_scalar("uint64", np.uint64(v))
    for v in ("", "x", "naïve ☃", "a" * 300): d.add_meta_string("string", v)
    client.put_dataset(d)

    t = Dataset("kt"); t.add_meta_string("m", "v")
    t.add_tensor("first", np.zeros(2)); t.add_tensor("second", np.ones(3, np.int32))
"""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Dataset
from smartredis._metadata import TENSOR_NAMES_FIELD, MetaData, decode_field
from smartredis.error import RedisRuntimeError

REAL_CLIENT_FIELDS = {
    "double": "019a9999999999b93f000000000000f0ff",
    "float": "020000c0bfcaf24971",
    "int32": "0300000080ffffff7f01000000",
    "int64": "04000000000000008079df0d8648700000",
    "uint32": "0500000000ffffffff",
    "uint64": "060000000000000000ffffffffffffffff",
    "string": "07"  # type, then per string: 8-byte length, UTF-8 bytes
    + "0000000000000000"
    + ("0100000000000000" + "78")
    + ("0a00000000000000" + "6e61c3af766520e29883")
    + ("2c01000000000000" + "61" * 300),
}
VALUES = {
    "double": (np.float64, [0.1, -np.inf]),
    "float": (np.float32, [-1.5, 1e30]),
    "int32": (np.int32, [-(2**31), 2**31 - 1, 1]),
    "int64": (np.int64, [-(2**63), 123456789012345]),
    "uint32": (np.uint32, [0, 2**32 - 1]),
    "uint64": (np.uint64, [0, 2**64 - 1]),
}
STRINGS = ["", "x", "naïve ☃", "a" * 300]

REAL_CLIENT_TENSOR_DATASET = {
    TENSOR_NAMES_FIELD: "070500000000000000666972737406000000000000007365636f6e64",
    "m": "07010000000000000076",
}


def _known_answer_dataset() -> Dataset:
    ds = Dataset("ka")
    for name, (kind, values) in VALUES.items():
        for value in values:
            ds.add_meta_scalar(name, kind(value))
    for text in STRINGS:
        ds.add_meta_string("string", text)
    return ds


def test_every_type_encodes_as_the_real_client_writes_it():
    encoded = {name: value.hex() for name, value in _known_answer_dataset()._metadata.encode()}
    assert encoded == REAL_CLIENT_FIELDS


def test_tensor_names_field_encodes_as_the_real_client_writes_it():
    ds = Dataset("kt")
    ds.add_meta_string("m", "v")
    ds.add_tensor("first", np.zeros(2))
    ds.add_tensor("second", np.ones(3, dtype=np.int32))
    encoded = {name: value.hex() for name, value in ds._metadata.encode()}
    assert encoded == REAL_CLIENT_TENSOR_DATASET


def test_real_client_fields_decode():
    meta = MetaData()
    for name, value in REAL_CLIENT_FIELDS.items():
        meta.add_encoded(name, bytes.fromhex(value))
    for name, (kind, values) in VALUES.items():
        got = meta.scalars(name)
        assert meta.python_type(name) is kind and got.dtype == kind
        assert got.tolist() == np.array(values, dtype=kind).tolist()
    assert meta.strings("string") == STRINGS
    assert [meta.type_name(n) for n in REAL_CLIENT_FIELDS] == [
        "DOUBLE",
        "FLOAT",
        "INT32",
        "INT64",
        "UINT32",
        "UINT64",
        "STRING",
    ]


def test_real_client_tensor_names_decode():
    value = bytes.fromhex(REAL_CLIENT_TENSOR_DATASET[TENSOR_NAMES_FIELD])
    assert decode_field(TENSOR_NAMES_FIELD, value) == (7, ["first", "second"])


@pytest.mark.parametrize(
    "value",
    [
        "07050000",  # a string length cut short: it is 8 bytes
        "0705000000000000006162",  # 5 bytes announced, 2 present
        "03010000000200",  # int32 values are 4 bytes each
    ],
)
def test_truncated_fields_are_damaged(value):
    with pytest.raises(RedisRuntimeError, match="damaged"):
        decode_field("f", bytes.fromhex(value))


def test_a_field_of_only_the_type_byte_is_empty():
    assert decode_field("f", b"\x07") == (7, [])
    assert decode_field("f", b"\x04") == (4, [])
