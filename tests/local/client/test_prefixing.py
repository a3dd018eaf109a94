"""Ensemble key prefixing (SSKEYOUT/SSKEYIN) and suffixed databases, with real key names."""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Client, ConfigOptions, Dataset
from smartredis.error import RedisKeyError, RedisRuntimeError


def _producer(monkeypatch, name: str) -> Client:
    monkeypatch.setenv("SSKEYOUT", name)
    monkeypatch.delenv("SSKEYIN", raising=False)
    return Client(logger_name=name)


def _consumer(monkeypatch, sources: str) -> Client:
    monkeypatch.delenv("SSKEYOUT", raising=False)
    monkeypatch.setenv("SSKEYIN", sources)
    return Client(logger_name="consumer")


def _dataset(name: str, value: float) -> Dataset:
    ds = Dataset(name)
    ds.add_tensor("field", np.full(3, value))
    ds.add_meta_scalar("value", value)
    return ds


def test_members_reuse_names_without_collision(any_db, monkeypatch):
    for i in range(2):
        producer = _producer(monkeypatch, f"producer_{i}")
        producer.put_tensor("state", np.full(2, i, dtype=np.int32))
        producer.put_dataset(_dataset("ds", float(i)))
        producer.append_to_list("results", _dataset("ds", float(i)))
    consumer = _consumer(monkeypatch, "producer_0,producer_1")
    for key in ("producer_0.state", "producer_1.state", "producer_0.{ds}.meta"):
        assert consumer.key_exists(key), key
    assert consumer.key_exists("producer_1.{ds}.field")
    assert consumer.key_exists("producer_0.results") and not consumer.key_exists("results")
    np.testing.assert_array_equal(consumer.get_tensor("state"), [0, 0])
    assert consumer.get_dataset("ds").get_meta_scalars("value")[0] == 0.0
    consumer.set_data_source("producer_1")
    np.testing.assert_array_equal(consumer.get_tensor("state"), [1, 1])
    assert consumer.get_dataset("ds").get_meta_scalars("value")[0] == 1.0
    assert consumer.get_list_length("results") == 1
    entries = consumer.get_datasets_from_list("results")
    assert [ds.get_name() for ds in entries] == ["ds"]
    assert entries[0].get_meta_scalars("value")[0] == 1.0


def test_unknown_data_source(standalone_db, monkeypatch):
    consumer = _consumer(monkeypatch, "a,b")
    with pytest.raises(RedisRuntimeError, match="data source c could not be found"):
        consumer.set_data_source("c")


def test_prefixing_switches(standalone_db, monkeypatch):
    monkeypatch.setenv("SSKEYIN", "me")
    client = _producer(monkeypatch, "me")
    client.use_tensor_ensemble_prefix(False)
    client.put_tensor("plain", np.ones(1))
    assert client.key_exists("plain") and client.tensor_exists("plain")
    client.use_tensor_ensemble_prefix(True)
    client.put_tensor("pref", np.ones(1))
    assert client.key_exists("me.pref")
    client.use_dataset_ensemble_prefix(False)
    client.put_dataset(_dataset("d", 1.0))
    assert client.key_exists("{d}.meta")
    client.use_list_ensemble_prefix(False)
    client.append_to_list("l", _dataset("d", 1.0))
    assert client.key_exists("l")
    client.use_model_ensemble_prefix(True)
    with pytest.raises(TypeError):
        client.use_tensor_ensemble_prefix("yes")


def test_a_writer_reads_without_prefix_unless_sskeyin_says_so(standalone_db, monkeypatch):
    """As SmartRedis: reads use the SSKEYIN data source, writes SSKEYOUT."""
    client = _producer(monkeypatch, "writer")
    client.put_tensor("t", np.ones(1))
    assert client.key_exists("writer.t")
    assert not client.tensor_exists("t")
    with pytest.raises(RedisKeyError, match="'t'"):
        client.get_tensor("t")


def test_copy_reads_the_source_prefix_and_writes_sskeyout(standalone_db, monkeypatch):
    _producer(monkeypatch, "src").put_tensor("t", np.ones(1))
    monkeypatch.setenv("SSKEYIN", "src")
    monkeypatch.setenv("SSKEYOUT", "dst")
    client = Client()
    client.copy_tensor("t", "t")
    assert client.key_exists("dst.t") and client.key_exists("src.t")


def test_suffixed_database(standalone_db, monkeypatch):
    """A second database's variables carry its identifier: SSDB_<id>, SR_DB_TYPE_<id>."""
    monkeypatch.setenv("SSDB_db2", standalone_db.ssdb)
    monkeypatch.setenv("SR_DB_TYPE_db2", "Standalone")
    monkeypatch.setenv("SSDB", "127.0.0.1:1")  # the default database is elsewhere
    monkeypatch.setenv("SSKEYOUT_db2", "member")
    client = Client(ConfigOptions.create_from_environment("db2"), "db2-client")
    client.put_tensor("t", np.ones(1))
    assert client.key_exists("member.t")
    assert not client.is_cluster()
