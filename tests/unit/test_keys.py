"""Key names and ensemble prefixing, as SmartRedis 0.6 forms them."""

from __future__ import annotations

import pytest

from smartredis._keys import KeyBuilder, dataset_name_from_key, parse_prefixes
from smartredis.error import RedisRuntimeError
from smartredis.wire.slots import hash_slot


def test_no_prefixes_means_plain_names():
    keys = KeyBuilder()
    assert keys.tensor("t", False) == keys.tensor("t", True) == "t"
    assert keys.dataset("ds", False) == "{ds}"
    assert keys.dataset_meta("ds", True) == "{ds}.meta"
    assert keys.dataset_tensor("ds", "t", False) == "{ds}.t"
    assert keys.list("l", True) == "l"
    assert keys.model("m", False) == "m"


def test_writes_use_sskeyout_and_reads_the_first_sskeyin_name():
    keys = KeyBuilder("producer_1", parse_prefixes("producer_0,producer_1"))
    assert keys.tensor("t", on_db=False) == "producer_1.t"
    assert keys.tensor("t", on_db=True) == "producer_0.t"
    assert keys.dataset("ds", False) == "producer_1.{ds}"
    assert keys.dataset_meta("ds", True) == "producer_0.{ds}.meta"
    assert keys.dataset_tensor("ds", "x", False) == "producer_1.{ds}.x"
    assert keys.list("agg", False) == "producer_1.agg"
    assert keys.list("agg", True) == "producer_0.agg"


def test_models_are_not_prefixed_unless_asked():
    keys = KeyBuilder("out", ["in"])
    assert keys.model("m", False) == "m"
    keys.use_model_prefix = True
    assert keys.model("m", False) == "out.m"
    assert keys.model("m", True) == "in.m"


@pytest.mark.parametrize(
    ("switch", "build"),
    [
        ("use_tensor_prefix", lambda k, on_db: k.tensor("x", on_db)),
        ("use_list_prefix", lambda k, on_db: k.list("x", on_db)),
    ],
)
def test_switches_turn_prefixes_off(switch, build):
    keys = KeyBuilder("out", ["in"])
    setattr(keys, switch, False)
    assert build(keys, False) == build(keys, True) == "x"


def test_dataset_switch_keeps_the_hash_tag():
    keys = KeyBuilder("out", ["in"])
    keys.use_dataset_prefix = False
    assert keys.dataset_meta("ds", False) == "{ds}.meta"


def test_set_data_source_picks_another_sskeyin_name():
    keys = KeyBuilder("", ["a", "b"])
    keys.set_data_source("b")
    assert keys.tensor("t", True) == "b.t"
    assert keys.tensor("t", False) == "t"


def test_set_data_source_rejects_unknown_names():
    keys = KeyBuilder("", ["a", "b"])
    with pytest.raises(RedisRuntimeError, match="data source c could not be found"):
        keys.set_data_source("c")


def test_only_sskeyout_set():
    keys = KeyBuilder("me", [])
    assert keys.tensor("t", False) == "me.t"
    assert keys.tensor("t", True) == "t"


def test_parse_prefixes_skips_empty_entries():
    assert parse_prefixes("") == []
    assert parse_prefixes("a,,b,") == ["a", "b"]


def test_dataset_pieces_share_a_slot_whatever_the_prefix():
    for put_prefix in ("", "ens_0", "ens_1"):
        keys = KeyBuilder(put_prefix, [])
        slots = {
            hash_slot(keys.dataset_meta("sim", False)),
            hash_slot(keys.dataset_tensor("sim", "u", False)),
            hash_slot(keys.dataset_tensor("sim", "v{x}", False)),
        }
        assert slots == {hash_slot("sim")}


def test_dataset_name_from_list_entry():
    assert dataset_name_from_key("prod.{ds_1}") == "ds_1"
    assert dataset_name_from_key("{a{b}c}") == "a{b}c"
    with pytest.raises(ValueError, match="not a dataset key"):
        dataset_name_from_key("plain")


@pytest.mark.parametrize(
    "build",
    [
        lambda k: k.tensor("x#part1", False),
        lambda k: k.tensor("x#part12", True),
        lambda k: k.list("agg#part3", False),
        lambda k: k.model("m#part1", True),
        lambda k: k.dataset_tensor("ds", "u#part2", False),
    ],
)
def test_names_shaped_like_part_keys_are_refused(build):
    keys = KeyBuilder("out", ["in"])
    with pytest.raises(RedisRuntimeError, match="reserved for the keys of the parts") as info:
        build(keys)
    assert isinstance(info.value, ValueError)


def test_names_that_only_resemble_part_keys_are_kept():
    keys = KeyBuilder()
    for name in ("x#part", "x#partA", "x#part1y", "x#Part1", "part1", "x#part1.y"):
        assert keys.tensor(name, False) == name
