"""Databases for the ml tests (a standalone server and a 3-shard cluster, started once per
session and emptied before each test) and helpers that upload and check batches."""

from __future__ import annotations

import numpy as np
import pytest

from smartsim.ml import TrainingDataUploader
from tests.conftest import keep_for_the_session
from tests.local.client.conftest import (
    Database,
    _emptied,
    _stop,
    _use,
    start_cluster,
    start_standalone,
)

FEATURES = 3


@pytest.fixture(scope="session")
def _ml_dbs(tmp_path_factory):
    """A standalone server and a 3-shard cluster for the whole session."""
    root = tmp_path_factory.mktemp("ml-dbs")
    dbs = {"standalone": start_standalone(root / "standalone")}
    try:
        dbs["cluster"] = start_cluster(root / "cluster")
        keep_for_the_session()
        yield dbs
    finally:
        _stop([proc for db in dbs.values() for proc in db.processes])


@pytest.fixture(params=["standalone", "cluster"])
def any_db(request, _ml_dbs, monkeypatch) -> Database:
    """Each test runs against the standalone database and the cluster, emptied first."""
    return _use(_emptied(_ml_dbs[request.param]), monkeypatch)


@pytest.fixture
def standalone_db(_ml_dbs, monkeypatch) -> Database:
    """The standalone database, emptied; SSDB and SR_DB_TYPE point at it."""
    return _use(_emptied(_ml_dbs["standalone"]), monkeypatch)


def batch(member: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples whose first column is a unique id (member, batch, row), targets = that id."""
    ids = member * 10_000 + index * 100 + np.arange(size)
    samples = np.zeros((size, FEATURES), dtype=np.float64)
    samples[:, 0] = ids
    return samples, ids.astype(np.int64)


def upload(
    monkeypatch: pytest.MonkeyPatch,
    cluster: bool,
    member: int | None,
    batches: range,
    size: int = 4,
    **kwargs: object,
) -> TrainingDataUploader:
    """Upload ``batches`` as ensemble member ``member`` (SSKEYOUT=producer_<member>), or
    unprefixed when None; the member 0 (or the unprefixed one) publishes the DataInfo."""
    if member is None:
        monkeypatch.delenv("SSKEYOUT", raising=False)
    else:
        monkeypatch.setenv("SSKEYOUT", f"producer_{member}")
    uploader = TrainingDataUploader(cluster=cluster, rank=member, **kwargs)  # type: ignore[arg-type]
    monkeypatch.delenv("SSKEYOUT", raising=False)
    if not member:
        uploader.publish_info()
    uploader.batch_idx = batches.start
    for index in batches:
        uploader.put_batch(*batch(member or 0, index, size))
    return uploader


def ids_of(batches: list) -> list[int]:
    """The sample ids of the batches an iteration yielded."""
    return sorted(int(v) for x, _ in batches for v in np.asarray(x)[:, 0])


def all_ids(members: list[int], batches: range, size: int = 4) -> list[int]:
    """Every id ``upload`` produced for these members and batches."""
    return sorted(int(v) for m in members for i in batches for v in batch(m, i, size)[1])
