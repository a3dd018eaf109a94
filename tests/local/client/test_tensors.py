"""Tensors through Client against real standalone and clustered databases."""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Client, Dataset
from smartredis.error import RedisKeyError, RedisRuntimeError
from smartredis.wire import tensor as tensor_format
from smartredis.wire.connection import Connection
from smartredis.wire.slots import hash_slot

DTYPES = ["float64", "float32", "int8", "int16", "int32", "int64", "uint8", "uint16"]
SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 4), (2, 1, 3, 1, 2), (0,), (3, 0)]


def _sample(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    values = np.arange(count) * 37 % (int(info.max) if info else 1000)
    return (values - (5 if info and info.min < 0 else 0)).astype(dtype).reshape(shape)


def _raw_get(db, key: str):
    """GET a key straight from a standalone server (bypassing the client)."""
    with Connection(db.addresses[0]) as conn:
        return conn.execute("GET", key)


def test_every_dtype_and_rank_round_trips(any_db):
    client = Client()
    for dtype in DTYPES:
        for index, shape in enumerate(SHAPES):
            array = _sample(dtype, shape)
            client.put_tensor(f"{dtype}_{index}", array)
            back = client.get_tensor(f"{dtype}_{index}")
            assert back.dtype == np.dtype(dtype) and back.shape == shape, (dtype, shape)
            np.testing.assert_array_equal(back, array, err_msg=f"{dtype} {shape}")
            assert back.flags.writeable and back.flags.c_contiguous


def test_stored_value_is_header_plus_raw_bytes(standalone_db):
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    Client().put_tensor("known", array)
    value = _raw_get(standalone_db, "known")
    assert bytes(value) == tensor_format.encode_header(2, (2, 3), 1) + array.tobytes()


def test_fortran_input_comes_back_c_ordered(any_db):
    client = Client()
    array = np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4))
    client.put_tensor("f", array)
    back = client.get_tensor("f")
    assert back.flags.c_contiguous
    np.testing.assert_array_equal(back, array)
    client.put_tensor("strided", array[:, ::2, 1])
    np.testing.assert_array_equal(client.get_tensor("strided"), array[:, ::2, 1])


def test_unpack_tensor_fills_the_callers_array(any_db):
    client = Client()
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    client.put_tensor("u", array)
    target = np.zeros((3, 4), dtype=np.int32)
    assert client.unpack_tensor("u", target) is None
    np.testing.assert_array_equal(target, array)
    flat = np.zeros(12, dtype=np.int32)
    client.unpack_tensor("u", flat)
    np.testing.assert_array_equal(flat, array.ravel())
    fortran = np.zeros((3, 4), dtype=np.int32, order="F")
    client.unpack_tensor("u", fortran)
    np.testing.assert_array_equal(fortran, array)


@pytest.mark.parametrize(
    ("target", "match"),
    [
        (np.zeros((3, 4), dtype=np.float32), "INT32"),
        (np.zeros((4, 3), dtype=np.int32), "shape"),
        (np.zeros(11, dtype=np.int32), "shape"),
    ],
)
def test_unpack_tensor_rejects_mismatches(standalone_db, target, match):
    client = Client()
    client.put_tensor("u", np.arange(12, dtype=np.int32).reshape(3, 4))
    with pytest.raises(RedisRuntimeError, match=match):
        client.unpack_tensor("u", target)
    np.testing.assert_array_equal(client.get_tensor("u").ravel(), np.arange(12))


def test_missing_tensor_names_the_key(any_db):
    client = Client()
    with pytest.raises(RedisKeyError, match="'absent'") as info:
        client.get_tensor("absent")
    assert info.value.key == "absent"
    assert str(info.value).startswith("Client.get_tensor execution failed")
    with pytest.raises(RedisKeyError):
        client.unpack_tensor("absent", np.zeros(1))


def test_exists_delete_copy_rename(any_db):
    client = Client()
    array = np.arange(5, dtype=np.int64)
    client.put_tensor("a", array)
    assert client.tensor_exists("a") and client.key_exists("a")
    assert client.poll_tensor("a", 10, 3) and client.poll_key("a", 10, 3)
    client.copy_tensor("a", "b")
    client.rename_tensor("b", "c")
    assert not client.tensor_exists("b")
    np.testing.assert_array_equal(client.get_tensor("c"), array)
    client.delete_tensor("a")
    client.delete_tensor("a")  # deleting nothing is fine, as in SmartRedis
    assert not client.tensor_exists("a")
    assert not client.poll_tensor("a", 1, 2)


def test_copy_and_rename_missing_sources(any_db):
    client = Client()
    for call in (client.copy_tensor, client.rename_tensor):
        with pytest.raises(RedisKeyError, match="'nothing'"):
            call("nothing", "x")
        with pytest.raises(RedisRuntimeError):  # as SmartRedis raised
            call("nothing", "x")


def test_copy_and_rename_say_what_a_non_tensor_source_is(standalone_db):
    client = Client()
    with Connection(standalone_db.addresses[0]) as conn:
        conn.execute("SET", "text", "hello")
        conn.execute("RPUSH", "queue", "a")
    for call in (client.copy_tensor, client.rename_tensor):
        with pytest.raises(RedisRuntimeError, match="'text'.* is a string that is not a tensor"):
            call("text", "x")
        with pytest.raises(RedisRuntimeError, match="'queue'.* is a list, not a tensor"):
            call("queue", "x")
    assert client.key_exists("text") and client.key_exists("queue")
    assert not client.key_exists("x")


def test_poll_refuses_a_negative_frequency(standalone_db):
    client = Client()
    client.put_tensor("there", np.ones(1))
    polls = [
        lambda: client.poll_tensor("there", -5, 2),
        lambda: client.poll_tensor("absent", -5, 2),
        lambda: client.poll_key("absent", -1, 2),
        lambda: client.poll_dataset("absent", -5, 2),
        lambda: client.poll_model("absent", -5, 2),
        lambda: client.poll_list_length("absent", 1, -5, 2),
    ]
    for poll in polls:
        with pytest.raises(RedisRuntimeError, match="poll_frequency_ms must not be") as info:
            poll()
        assert isinstance(info.value, ValueError)
        assert "execution failed" in str(info.value)  # names the method, as the client's errors do
    assert client.poll_tensor("there", 0, 2)


def test_cross_slot_copy_and_rename_in_a_cluster(cluster_db):
    client = Client()
    assert hash_slot("src") != hash_slot("dst")
    client.put_tensor("src", np.ones(3))
    client.copy_tensor("src", "dst")
    client.rename_tensor("dst", "moved")
    np.testing.assert_array_equal(client.get_tensor("moved"), np.ones(3))
    assert client.tensor_exists("src") and not client.tensor_exists("dst")


def test_overwrite_replaces_type_and_shape(any_db):
    client = Client()
    client.put_tensor("x", np.zeros((2, 2), dtype=np.float64))
    client.put_tensor("x", np.arange(3, dtype=np.uint8))
    back = client.get_tensor("x")
    assert back.dtype == np.uint8 and back.shape == (3,)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("bad", [1, 2, 3], TypeError),
        ("bad", np.array([True, False]), TypeError),
        ("bad", np.zeros(2, dtype=np.complex64), TypeError),
        ("", np.zeros(2), ValueError),
        (5, np.zeros(2), TypeError),
    ],
)
def test_bad_input_never_touches_stored_data(standalone_db, name, data, error):
    client = Client()
    client.put_tensor("bad", np.arange(3, dtype=np.float32))
    with pytest.raises(error):
        client.put_tensor(name, data)
    np.testing.assert_array_equal(client.get_tensor("bad"), np.arange(3))


def test_reading_a_non_tensor_key(standalone_db):
    client = Client()
    with Connection(standalone_db.addresses[0]) as conn:
        conn.execute("SET", "text", "hello")
        conn.execute("HSET", "hash", "f", "v")
    with pytest.raises(RedisRuntimeError, match="'text' is not a tensor"):
        client.get_tensor("text")
    with pytest.raises(RedisRuntimeError, match="WRONGTYPE") as info:
        client.get_tensor("hash")
    assert "'hash'" in str(info.value)
    client.put_tensor("after", np.ones(2))  # the connection is still usable
    np.testing.assert_array_equal(client.get_tensor("after"), np.ones(2))
    client.put_tensor("hash", np.ones(2))  # a tensor replaces a value of another type
    np.testing.assert_array_equal(client.get_tensor("hash"), np.ones(2))
    client.delete_tensor("text")
    assert not client.key_exists("text")


@pytest.fixture
def small_parts(monkeypatch):
    """Split tensors past 1000 bytes, to exercise parts without gigabytes."""
    monkeypatch.setattr(tensor_format, "PART_BYTES", 1000)


def _part_keys_present(client: Client, key: str, upto: int = 10) -> list[int]:
    return [i for i in range(1, upto) if client.key_exists(tensor_format.part_key(key, i))]


def test_split_tensors_round_trip_and_clean_up(any_db, small_parts):
    client = Client()
    big = np.arange(1000, dtype=np.float64)  # 8000 bytes: 8 parts
    client.put_tensor("big", big)
    assert _part_keys_present(client, "big") == list(range(1, 8))
    np.testing.assert_array_equal(client.get_tensor("big"), big)
    target = np.empty_like(big)
    client.unpack_tensor("big", target)
    np.testing.assert_array_equal(target, big)
    client.copy_tensor("big", "copy")
    np.testing.assert_array_equal(client.get_tensor("copy"), big)
    client.rename_tensor("copy", "moved")
    assert _part_keys_present(client, "copy") == []
    np.testing.assert_array_equal(client.get_tensor("moved"), big)
    client.put_tensor("big", np.arange(300, dtype=np.float32))  # 1200 bytes: 2 parts
    assert _part_keys_present(client, "big") == [1]
    np.testing.assert_array_equal(client.get_tensor("big"), np.arange(300))
    client.delete_tensor("big")
    client.delete_tensor("moved")
    assert _part_keys_present(client, "big") == _part_keys_present(client, "moved") == []


def test_a_lost_part_is_reported(standalone_db, small_parts):
    client = Client()
    client.put_tensor("big", np.zeros(500))
    with Connection(standalone_db.addresses[0]) as conn:
        conn.execute("DEL", tensor_format.part_key("big", 2))
    with pytest.raises(RedisRuntimeError, match="lost part 2"):
        client.get_tensor("big")


def test_names_of_part_keys_are_refused_and_a_big_tensor_stays_whole(any_db, small_parts):
    client = Client()
    big = np.arange(500, dtype=np.float64)  # 4000 bytes: 4 parts
    client.put_tensor("x", big)
    calls = [
        lambda: client.put_tensor("x#part1", np.zeros(2)),
        lambda: client.delete_tensor("x#part2"),
        lambda: client.copy_tensor("x", "y#part1"),
        lambda: client.rename_tensor("x#part3", "z"),
        lambda: client.tensor_exists("x#part1"),
        lambda: client.get_tensor("x#part1"),
        lambda: client.append_to_list("x#part1", Dataset("ds")),
        lambda: client.run_script("s", "f", ["x"], ["x#part1"]),
        lambda: Dataset("ds").add_tensor("x#part1", np.zeros(2)),
    ]
    for call in calls:
        with pytest.raises(RedisRuntimeError, match="'x#part1'|'x#part2'|'y#part1'|'x#part3'"):
            call()
    np.testing.assert_array_equal(client.get_tensor("x"), big)
    assert _part_keys_present(client, "x") == [1, 2, 3]
    assert not client.key_exists("y#part1")
    client.put_tensor("x#part", np.ones(2))  # only '#part<digits>' is reserved
    client.delete_tensor("x")
    np.testing.assert_array_equal(client.get_tensor("x#part"), np.ones(2))
