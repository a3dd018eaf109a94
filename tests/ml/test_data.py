"""smartsim.ml's uploader and downloader against real databases (standalone and cluster)."""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Client
from smartsim.error import SSInternalError
from smartsim.ml import DataDownloader, DataInfo, TrainingDataUploader, form_name
from tests.ml.conftest import FEATURES, all_ids, ids_of, upload

MEMBERS = [0, 1, 2]


def _sources(monkeypatch: pytest.MonkeyPatch, members: list[int]) -> None:
    monkeypatch.setenv("SSKEYIN", ",".join(f"producer_{m}" for m in members))


def test_form_name_and_repr():
    assert form_name("training_samples", None, 3) == "training_samples_3"
    assert form_name("training_samples", 2, 0) == "training_samples_2_0"
    info = DataInfo("a_list", sample_name="the_samples", target_name=None)  # type: ignore[arg-type]
    expected = "DataInfo object\nAggregation list name: a_list\nSample tensor name: the_samples"
    assert repr(info) == expected
    info = DataInfo("a_list", "the_samples", "the_targets", num_classes=23)
    expected += "\nTarget tensor name: the_targets\nNumber of classes: 23"
    assert repr(info) == expected


def test_info_is_published_and_downloaded(any_db, monkeypatch):
    upload(
        monkeypatch,
        any_db.cluster,
        0,
        range(1),
        list_name="sim",
        sample_name="x",
        target_name="y",
        num_classes=5,
    )
    _sources(monkeypatch, [0])
    client = Client(cluster=any_db.cluster)
    info = DataInfo("sim")
    info.download(client)
    assert (info.sample_name, info.target_name, info.num_classes) == ("x", "y", 5)
    missing = DataInfo("nothing", "s", "t")
    missing.download(client)  # nothing published: the values are kept
    assert (missing.sample_name, missing.target_name, missing.num_classes) == ("s", "t", None)


def test_keys_are_prefixed_by_the_member(any_db, monkeypatch):
    upload(monkeypatch, any_db.cluster, 1, range(2))
    client = Client(cluster=any_db.cluster)
    assert client.key_exists("producer_1.training_data")
    assert not client.key_exists("training_data")
    assert client.get_list_length("producer_1.training_data") == 2
    names = [d.get_name() for d in client.get_datasets_from_list("producer_1.training_data")]
    assert names == ["training_samples_1_0", "training_samples_1_1"]


def test_static_download_sees_every_sample_once_per_epoch(any_db, monkeypatch):
    for member in MEMBERS:
        upload(monkeypatch, any_db.cluster, member, range(3))
    _sources(monkeypatch, MEMBERS)
    loader = DataDownloader("training_data", batch_size=6, dynamic=False, cluster=any_db.cluster)
    assert (loader.sample_name, loader.target_name, loader.need_targets) == (
        "samples",
        "targets",
        True,
    )
    assert (loader.num_samples, len(loader)) == (36, 6)
    for _ in range(2):
        batches = list(loader)
        assert all(x.shape == (6, FEATURES) and y.shape == (6,) for x, y in batches)
        assert all((x[:, 0] == y).all() for x, y in batches)  # targets stay with their samples
        assert ids_of(batches) == all_ids(MEMBERS, range(3))


def test_replicas_get_disjoint_data_that_is_all_of_it(any_db, monkeypatch):
    for member in MEMBERS:
        upload(monkeypatch, any_db.cluster, member, range(4))
    _sources(monkeypatch, MEMBERS)
    seen = []
    for rank in range(2):
        loader = DataDownloader(
            "training_data",
            batch_size=4,
            shuffle=False,
            replica_rank=rank,
            num_replicas=2,
            cluster=any_db.cluster,
        )
        assert (loader.replica_rank, loader.num_replicas, len(loader)) == (rank, 2, 6)
        seen.append(ids_of(list(loader)))
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == all_ids(MEMBERS, range(4))


def test_dynamic_download_picks_up_new_batches(any_db, monkeypatch):
    for member in MEMBERS:
        upload(monkeypatch, any_db.cluster, member, range(1))
    _sources(monkeypatch, MEMBERS)
    loader = DataDownloader("training_data", batch_size=4, cluster=any_db.cluster)
    assert ids_of(list(loader)) == all_ids(MEMBERS, range(1))
    for member in MEMBERS:
        upload(monkeypatch, any_db.cluster, member, range(1, 3))
    assert ids_of(list(loader)) == all_ids(MEMBERS, range(3))
    static = DataDownloader("training_data", batch_size=4, dynamic=False, cluster=any_db.cluster)
    upload(monkeypatch, any_db.cluster, 1, range(3, 4))
    assert ids_of(list(static)) == all_ids(MEMBERS, range(3))  # static: never refreshed


def test_unprefixed_uploader_and_autoencoding(standalone_db, monkeypatch):
    monkeypatch.delenv("SSKEYIN", raising=False)
    upload(monkeypatch, False, None, range(2), sample_name="field", target_name="field")
    loader = DataDownloader("training_data", batch_size=2, cluster=False)
    assert loader.autoencoding and not loader.need_targets
    for x, y in loader:
        assert x is y or (x == y).all()
    upload(monkeypatch, False, None, range(2, 3), list_name="plain", target_name="")
    plain = DataDownloader(DataInfo("plain", target_name=""), batch_size=4, cluster=False)
    assert [x.shape for x in plain] == [(4, FEATURES)]  # samples alone, no targets


def test_init_samples_waits_for_the_first_batch(standalone_db, monkeypatch):
    _sources(monkeypatch, [0])
    loader = DataDownloader("training_data", batch_size=4, cluster=False, init_samples=False)
    with pytest.raises(ValueError, match="Client not initialized"):
        loader.update_data()
    with pytest.raises(SSInternalError, match="Could not download samples in given number"):
        loader.init_samples(init_trials=2, wait_interval=0.01)
    upload(monkeypatch, False, 0, range(1))
    loader.init_samples(init_trials=2, wait_interval=0.01)
    assert len(loader) == 1


def test_bad_input_gives_the_original_errors(standalone_db, monkeypatch):
    _sources(monkeypatch, [0])
    with pytest.raises(SSInternalError, match="Could not download samples in given number"):
        DataDownloader("missing_list", cluster=False, max_fetch_trials=1)
    with pytest.raises(TypeError, match="data_info_or_list_name must be either DataInfo or str"):
        DataDownloader(1, cluster=False)  # type: ignore[arg-type]
    empty = DataDownloader(DataInfo("missing_list"), cluster=False, init_samples=False)
    empty._client = Client(cluster=False)  # connected, but the list has no batch
    with pytest.raises(ValueError, match="Not enough samples in generator for one batch"):
        next(iter(empty))
    for rank, replicas in [(0, 0), (0, -1), (2, 2), (-1, 1)]:
        with pytest.raises(ValueError, match="num_replicas|replica_rank"):
            DataDownloader(
                DataInfo("x"),
                replica_rank=rank,
                num_replicas=replicas,
                cluster=False,
                init_samples=False,
            )
    with pytest.raises(ValueError, match="batch_size"):
        DataDownloader(DataInfo("x"), batch_size=0, cluster=False, init_samples=False)
    with pytest.raises(ValueError, match="Name can not be empty"):
        TrainingDataUploader(list_name="", cluster=False)
    with pytest.raises(ValueError, match="Sample name can not be empty"):
        TrainingDataUploader(sample_name="", cluster=False)


def test_wrong_shapes_are_refused(standalone_db, monkeypatch):
    monkeypatch.delenv("SSKEYIN", raising=False)
    uploader = TrainingDataUploader(cluster=False)
    with pytest.raises(ValueError, match="one entry per sample"):
        uploader.put_batch(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="at least one dimension"):
        uploader.put_batch(np.float64(1.0))
    uploader.put_batch(np.zeros((4, 2)), np.zeros(4))
    uploader.put_batch(np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="same shape after the first"):
        DataDownloader("training_data", cluster=False)
