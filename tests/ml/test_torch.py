"""smartsim.ml.torch: generators yield torch batches; a DataLoader's workers split the data."""

from __future__ import annotations

import gc

import pytest
import torch

from smartsim.ml.torch import DataLoader, DynamicDataGenerator, StaticDataGenerator
from tests.ml.conftest import FEATURES, all_ids, ids_of, upload

MEMBERS = [0, 1, 2]


@pytest.fixture
def three_members(any_db, monkeypatch):
    """Members 0..2 uploaded 4 batches of 4 each; SSKEYIN names them."""
    for member in MEMBERS:
        upload(monkeypatch, any_db.cluster, member, range(4))
    monkeypatch.setenv("SSKEYIN", ",".join(f"producer_{m}" for m in MEMBERS))
    return any_db


def test_generators_yield_torch_batches(three_members, monkeypatch):
    cluster = three_members.cluster
    static = StaticDataGenerator(
        data_info_or_list_name="training_data",
        batch_size=8,
        cluster=cluster,
        init_samples=True,
        dynamic=True,
    )
    assert static.dynamic is False and static.num_samples == 0  # never fetched at creation
    static.init_samples(3, 0.01)
    batches = list(static)
    assert all(isinstance(x, torch.Tensor) and x.shape == (8, FEATURES) for x, _ in batches)
    assert all(y.dtype == torch.int64 and (x[:, 0] == y).all() for x, y in batches)
    assert ids_of(batches) == all_ids(MEMBERS, range(4))
    dynamic = DynamicDataGenerator(
        data_info_or_list_name="training_data", batch_size=8, cluster=cluster, dynamic=False
    )
    assert dynamic.dynamic is True
    dynamic.init_samples(3, 0.01)
    upload(monkeypatch, cluster, 2, range(4, 6))
    assert ids_of(list(dynamic)) == all_ids(MEMBERS, range(4)) + all_ids([2], range(4, 6))
    assert ids_of(list(static)) == all_ids(MEMBERS, range(4))


def _epoch(loader: DataLoader) -> list[int]:
    ids = ids_of([batch for batch in loader])  # not list(): len(loader) is 0 (no data here)
    assert len(ids) == len(set(ids)), "a sample reached two workers"
    return ids


def test_dataloader_workers_get_disjoint_data(three_members, monkeypatch):
    cluster = three_members.cluster
    generator = DynamicDataGenerator(
        data_info_or_list_name="training_data",
        batch_size=4,
        cluster=cluster,
        max_fetch_trials=50,
        wait_interval=0.1,
    )
    loader = DataLoader(generator, num_workers=2)
    try:
        assert _epoch(loader) == all_ids(MEMBERS, range(4))
        assert _epoch(loader) == all_ids(MEMBERS, range(4))
        for member in MEMBERS:
            upload(monkeypatch, cluster, member, range(4, 6))
        assert _epoch(loader) == all_ids(MEMBERS, range(6))  # the workers fetched the new ones
    finally:
        del loader  # its persistent workers stop with it
        gc.collect()


def test_workers_refetch_their_share_of_data_the_main_process_downloaded(three_members):
    generator = StaticDataGenerator(
        data_info_or_list_name="training_data", batch_size=4, cluster=three_members.cluster
    )
    generator.init_samples(3, 0.01)  # the copies in the workers must not keep all of it
    loader = DataLoader(generator, num_workers=2)
    try:
        assert _epoch(loader) == all_ids(MEMBERS, range(4))
    finally:
        del loader
        gc.collect()
