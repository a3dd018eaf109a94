"""Datasets and aggregation lists through Client against real databases."""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Client, Dataset
from smartredis.error import (
    RedisBadAllocError,
    RedisDatabaseError,
    RedisKeyError,
    RedisRuntimeError,
)
from smartredis.wire import tensor as tensor_format
from smartredis.wire.connection import Connection


def _dataset(name: str, scale: int = 1) -> Dataset:
    ds = Dataset(name)
    ds.add_tensor("u", np.arange(6, dtype=np.float64).reshape(2, 3) * scale)
    ds.add_tensor("mask", np.array([1, 0, 1], dtype=np.uint8))
    ds.add_meta_scalar("step", 10 * scale)
    ds.add_meta_scalar("step", 11 * scale)
    ds.add_meta_scalar("dt", np.float32(0.5))
    ds.add_meta_string("units", "m/s")
    return ds


def _check(ds: Dataset, name: str, scale: int = 1) -> None:
    assert ds.get_name() == name
    assert ds.get_tensor_names() == ["u", "mask"]
    np.testing.assert_array_equal(ds.get_tensor("u"), np.arange(6.0).reshape(2, 3) * scale)
    assert ds.get_tensor_type("mask") is np.uint8
    assert list(ds.get_meta_scalars("step")) == [10 * scale, 11 * scale]
    assert ds.get_meta_scalars("dt").dtype == np.float32
    assert ds.get_meta_strings("units") == ["m/s"]
    assert sorted(ds.get_metadata_field_names()) == ["dt", "step", "units"]


def _keys_by_node(db) -> dict[str, list[str]]:
    found = {}
    for address in db.addresses:
        with Connection(address) as conn:
            found[address] = sorted(bytes(k).decode() for k in conn.execute("KEYS", "*"))
    return found


def test_put_get_exists(any_db):
    client = Client()
    client.put_dataset(_dataset("sim"))
    assert client.dataset_exists("sim") and client.poll_dataset("sim", 10, 2)
    _check(client.get_dataset("sim"), "sim")


def test_key_names_and_one_shard(any_db):
    client = Client()
    client.put_dataset(_dataset("sim"))
    nodes = {node: keys for node, keys in _keys_by_node(any_db).items() if keys}
    assert len(nodes) == 1  # the hash tag keeps every piece on one shard
    assert next(iter(nodes.values())) == ["{sim}.mask", "{sim}.meta", "{sim}.u"]
    with Connection(next(iter(nodes))) as conn:
        fields = sorted(bytes(f).decode() for f in conn.execute("HKEYS", "{sim}.meta"))
    assert fields == [".COMPLETE", ".tensor_names", "dt", "step", "units"]


def test_missing_datasets(any_db):
    client = Client()
    with pytest.raises(RedisKeyError, match='"ghost", does not exist'):
        client.get_dataset("ghost")
    assert not client.dataset_exists("ghost")
    assert not client.poll_dataset("ghost", 1, 2)
    with pytest.raises(RedisKeyError, match="ghost"):
        client.delete_dataset("ghost")
    with pytest.raises(RedisRuntimeError):  # as SmartRedis raised for delete
        client.delete_dataset("ghost")
    with pytest.raises(RedisKeyError):
        client.copy_dataset("ghost", "other")
    with pytest.raises(RedisKeyError):
        client.rename_dataset("ghost", "other")


def test_empty_dataset_is_refused(standalone_db):
    with pytest.raises(RedisRuntimeError, match="does not contain any fields or tensors"):
        Client().put_dataset(Dataset("empty"))


def test_metadata_only_and_tensor_only_datasets(standalone_db):
    client = Client()
    meta = Dataset("meta")
    meta.add_meta_string("k", "v")
    client.put_dataset(meta)
    assert client.get_dataset("meta").get_tensor_names() == []
    tensors = Dataset("tensors")
    tensors.add_tensor("t", np.zeros(2))
    client.put_dataset(tensors)
    assert client.get_dataset("tensors").get_metadata_field_names() == []


def test_delete_copy_rename(any_db):
    client = Client()
    client.put_dataset(_dataset("a"))
    client.copy_dataset("a", "b")
    client.rename_dataset("b", "c")
    assert not client.dataset_exists("b")
    _check(client.get_dataset("c"), "c")
    client.rename_dataset("c", "c")  # onto itself: nothing changes
    _check(client.get_dataset("c"), "c")
    client.delete_dataset("a")
    assert not client.dataset_exists("a")
    assert not client.key_exists("{a}.u") and not client.key_exists("{a}.meta")


def test_put_over_a_dataset_replaces_its_metadata(standalone_db):
    client = Client()
    client.put_dataset(_dataset("d"))
    newer = Dataset("d")
    newer.add_meta_string("units", "km/h")
    newer.add_tensor("u", np.ones(2))
    client.put_dataset(newer)
    got = client.get_dataset("d")
    assert got.get_meta_strings("units") == ["km/h"]
    assert got.get_tensor_names() == ["u"]
    with pytest.raises(RedisKeyError):
        got.get_meta_scalars("step")


def test_a_dataset_missing_a_tensor(standalone_db):
    client = Client()
    client.put_dataset(_dataset("d"))
    with Connection(standalone_db.addresses[0]) as conn:
        conn.execute("DEL", "{d}.mask")
    with pytest.raises(RedisKeyError, match="'mask'.*'{d}.mask'"):
        client.get_dataset("d")


def test_a_refused_tensor_leaves_no_complete_dataset(private_standalone_db):
    client = Client()
    client.put_dataset(_dataset("d"))  # an older, complete version
    with Connection(private_standalone_db.addresses[0]) as conn:
        # from now on the server refuses every key but these two: {d}.mask is refused
        conn.execute("ACL", "SETUSER", "default", "resetkeys", "~{d}.meta", "~{d}.u")
    with pytest.raises(RedisDatabaseError, match="SET on key '{d}.mask': NOPERM"):
        client.put_dataset(_dataset("d", scale=2))
    assert not client.dataset_exists("d")
    assert not client.poll_dataset("d", 1, 2)
    with pytest.raises(RedisKeyError, match="does not exist"):
        client.get_dataset("d")


def test_a_dataset_refused_by_maxmemory_does_not_exist(private_standalone_db):
    client = Client()
    address = private_standalone_db.addresses[0]
    used = int(client.get_db_node_info([address])[0]["Memory"]["used_memory"])
    client.config_set("maxmemory", str(used + (4 << 20)), address)
    ds = _dataset("d")
    ds.add_tensor("big", np.ones(1 << 20))  # 8 MiB
    with pytest.raises(RedisBadAllocError, match="OOM"):
        client.put_dataset(ds)
    assert not client.dataset_exists("d")
    with pytest.raises(RedisKeyError, match="does not exist"):
        client.get_dataset("d")


def test_split_tensors_inside_datasets(any_db, monkeypatch):
    monkeypatch.setattr(tensor_format, "PART_BYTES", 100)
    client = Client()
    ds = Dataset("big")
    ds.add_tensor("x", np.arange(100, dtype=np.int32))  # 400 bytes: 4 parts
    client.put_dataset(ds)
    assert client.key_exists("{big}.x#part3")
    np.testing.assert_array_equal(client.get_dataset("big").get_tensor("x"), np.arange(100))
    client.copy_dataset("big", "copy")
    np.testing.assert_array_equal(client.get_dataset("copy").get_tensor("x"), np.arange(100))
    client.delete_dataset("big")
    assert not client.key_exists("{big}.x#part3")


def test_aggregation_lists(any_db):
    client = Client()
    for i in range(4):
        client.put_dataset(_dataset(f"ds_{i}", scale=i + 1))
        client.append_to_list("agg", client.get_dataset(f"ds_{i}"))
    assert client.get_list_length("agg") == 4
    assert client.poll_list_length("agg", 4, 10, 2)
    assert client.poll_list_length_gte("agg", 3, 10, 2)
    assert client.poll_list_length_lte("agg", 4, 10, 2)
    assert not client.poll_list_length("agg", 5, 1, 2)
    assert not client.poll_list_length_lte("agg", 3, 1, 2)
    everything = client.get_datasets_from_list("agg")
    for i, ds in enumerate(everything):
        _check(ds, f"ds_{i}", scale=i + 1)
    middle = client.get_dataset_list_range("agg", 1, -2)
    assert [ds.get_name() for ds in middle] == ["ds_1", "ds_2"]
    client.copy_list("agg", "agg2")
    client.rename_list("agg2", "agg3")
    assert client.get_list_length("agg2") == 0
    assert client.get_list_length("agg3") == 4
    client.delete_list("agg")
    assert client.get_list_length("agg") == 0
    assert client.get_datasets_from_list("agg") == []


def test_list_entries_are_dataset_keys(standalone_db):
    client = Client()
    client.put_dataset(_dataset("d"))
    client.append_to_list("agg", client.get_dataset("d"))
    with Connection(standalone_db.addresses[0]) as conn:
        assert conn.execute("LRANGE", "agg", 0, -1) == [b"{d}"]


def test_copy_list_replaces_the_destination(standalone_db):
    client = Client()
    client.put_dataset(_dataset("d"))
    client.put_dataset(_dataset("e"))
    client.append_to_list("src", client.get_dataset("d"))
    client.append_to_list("dst", client.get_dataset("e"))
    client.append_to_list("dst", client.get_dataset("e"))
    client.copy_list("src", "dst")
    assert [ds.get_name() for ds in client.get_datasets_from_list("dst")] == ["d"]


def test_list_argument_errors(standalone_db):
    client = Client()
    with pytest.raises(ValueError):
        client.copy_list("", "x")
    with pytest.raises(ValueError):
        client.rename_list("x", "")
    with pytest.raises(ValueError):
        client.get_datasets_from_list("")
    with pytest.raises(ValueError, match="positive value for list_length"):
        client.poll_list_length("x", -1, 1, 1)
    with pytest.raises(RedisKeyError, match="'nothing'"):
        client.copy_list("nothing", "x")
    with pytest.raises(TypeError):
        client.append_to_list("x", "not a dataset")
