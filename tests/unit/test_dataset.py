"""Dataset in memory, and the stored form of its metadata fields."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from smartredis import Dataset
from smartredis._metadata import TENSOR_NAMES_FIELD, MetaData, decode_field, encode_field
from smartredis.error import RedisKeyError, RedisRuntimeError


def test_tensors_are_copied_in_and_out():
    data = np.arange(6, dtype=np.int32).reshape(2, 3)
    ds = Dataset("ds")
    ds.add_tensor("t", data)
    data[0, 0] = 99
    out = ds.get_tensor("t")
    assert out[0, 0] == 0
    out[0, 1] = 99
    assert ds.get_tensor("t")[0, 1] == 1
    assert ds.get_tensor_names() == ["t"]
    assert ds.get_tensor_dims("t") == [2, 3]
    assert ds.get_tensor_type("t") is np.int32
    assert ds.get_name() == "ds"


def test_fortran_tensors_come_back_c_ordered():
    ds = Dataset("ds")
    data = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    ds.add_tensor("f", data)
    out = ds.get_tensor("f")
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, data)


def test_tensor_errors():
    ds = Dataset("ds")
    with pytest.raises(TypeError, match="Incompatible tensor type"):
        ds.add_tensor("b", np.array([True]))
    with pytest.raises(TypeError):
        ds.add_tensor("l", [1, 2, 3])
    with pytest.raises(ValueError):
        ds.add_tensor("", np.zeros(1))
    ds.add_tensor("t", np.zeros(1))
    with pytest.raises(RedisRuntimeError, match="already exists"):
        ds.add_tensor("t", np.zeros(1))
    with pytest.raises(RedisKeyError, match='"missing" does not exist in dataset "ds"'):
        ds.get_tensor("missing")
    with pytest.raises(RedisKeyError):
        ds.get_tensor_dims("missing")


def test_name_checks():
    with pytest.raises(TypeError):
        Dataset(3)
    with pytest.raises(ValueError):
        Dataset("")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (3, np.int64),
        (2.5, np.float64),
        (np.float32(1.5), np.float32),
        (np.int32(-4), np.int32),
        (np.uint32(4), np.uint32),
        (np.uint64(2**63), np.uint64),
    ],
)
def test_meta_scalars_keep_their_type(value, kind):
    ds = Dataset("ds")
    ds.add_meta_scalar("f", value)
    ds.add_meta_scalar("f", value)
    got = ds.get_meta_scalars("f")
    assert got.dtype == np.dtype(kind) and list(got) == [value, value]
    assert ds.get_metadata_field_type("f") is kind


def test_meta_errors():
    ds = Dataset("ds")
    ds.add_meta_scalar("n", 1)
    ds.add_meta_string("s", "a")
    with pytest.raises(RedisRuntimeError, match="different type"):
        ds.add_meta_scalar("n", 1.0)
    with pytest.raises(RedisRuntimeError, match="isn't a string type"):
        ds.add_meta_string("n", "x")
    with pytest.raises(RedisRuntimeError, match="Use get_meta_strings"):
        ds.get_meta_scalars("s")
    with pytest.raises(RedisRuntimeError, match="not a string field"):
        ds.get_meta_strings("n")
    with pytest.raises(RedisKeyError, match="field nope does not exist"):
        ds.get_meta_scalars("nope")
    with pytest.raises(RedisRuntimeError):  # as SmartRedis: a runtime error too
        ds.get_meta_strings("nope")
    with pytest.raises(RedisKeyError):
        ds.get_metadata_field_type("nope")
    with pytest.raises(TypeError, match="not a scalar"):
        ds.add_meta_scalar("v", [1, 2])
    with pytest.raises(TypeError, match="Incompatible metadata type"):
        ds.add_meta_scalar("v", True)
    with pytest.raises(TypeError):
        ds.add_meta_string("v", 3)


def test_field_names_hide_the_tensor_list():
    ds = Dataset("ds")
    ds.add_tensor("t", np.zeros(1))
    ds.add_meta_string("s", "x")
    ds.add_meta_scalar("n", 1)
    assert ds.get_metadata_field_names() == ["s", "n"]
    assert ds.get_metadata_field_type("s") is str


def test_str_lists_tensors_and_fields():
    ds = Dataset("ds")
    ds.add_tensor("t", np.zeros((2, 2), dtype=np.uint8))
    ds.add_meta_scalar("n", 1)
    text = str(ds)
    assert "DataSet (ds):" in text and "type: UINT8" in text and "type: INT64" in text


def test_field_known_answers():
    assert encode_field(4, [1, -1]) == b"\x04" + struct.pack("<qq", 1, -1)
    assert encode_field(2, [np.float32(0.5)]) == b"\x02" + struct.pack("<f", 0.5)
    assert encode_field(7, ["ab", ""]) == b"\x07" + struct.pack("<Q", 2) + b"ab" + bytes(8)


def test_fields_round_trip():
    meta = MetaData()
    meta.add_scalar("d", 1.25)
    meta.add_scalar("u", np.uint64(7))
    meta.add_string("s", "héllo")
    meta.add_string(TENSOR_NAMES_FIELD, "t")
    back = MetaData()
    for name, value in meta.encode():
        back.add_encoded(name, value)
    assert list(back.scalars("d")) == [1.25]
    assert back.scalars("u").dtype == np.uint64
    assert back.strings("s") == ["héllo"]
    assert back.names() == ["d", "u", "s"]
    assert back.names(skip_internal=False)[-1] == TENSOR_NAMES_FIELD


@pytest.mark.parametrize(
    "value", [b"", b"\x09abc", b"\x04\x01\x02", b"\x07\x05" + bytes(7) + b"ab"]
)
def test_damaged_fields(value):
    with pytest.raises(RedisRuntimeError, match="field f"):
        decode_field("f", value)


def test_from_pybind_get_data_and_set_data_share_a_datasets_contents():
    """Ours has no PyDataset: the Dataset is its own data object (see Dataset.get_data)."""
    source = Dataset("source")
    source.add_tensor("t", np.arange(3))
    assert source.get_data() is source
    copy = Dataset.from_pybind(source.get_data())
    assert copy is not source and copy.get_name() == "source"
    source.add_meta_string("later", "seen by both")
    assert copy.get_meta_strings("later") == ["seen by both"]
    target = Dataset("target")
    target.set_data(copy)
    assert target.get_name() == "source" and target.get_tensor_names() == ["t"]
    dataset_type = "<class 'smartredis.dataset.Dataset'>"
    with pytest.raises(
        TypeError, match=f"Argument dataset is of type <class 'int'>, not {dataset_type}"
    ):
        Dataset.from_pybind(3)
    with pytest.raises(TypeError, match="Argument dataset"):
        target.set_data({"t": np.arange(3)})
