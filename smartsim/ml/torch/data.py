"""DataDownloader as a torch IterableDataset, and a DataLoader whose workers split the data."""

from __future__ import annotations

import typing as t

import numpy as np
import torch
import torch.utils.data

from smartsim.ml._downloader import DataDownloader


def _forced(kwargs: dict[str, t.Any], name: str, value: bool) -> bool:
    """Set ``kwargs[name]`` to ``value``; whether the caller had asked for the other one
    (a generator then logs that it overrode it, as SmartSim's do)."""
    asked = kwargs.pop(name, value)
    kwargs[name] = value
    return bool(asked) != value


class _TorchDataGenerationCommon(DataDownloader, torch.utils.data.IterableDataset):
    """Batches as torch tensors; samples are fetched by ``init_samples``, never at creation
    (a DataLoader's workers fetch their own share)."""

    def __init__(self, **kwargs: t.Any) -> None:
        changed = _forced(kwargs, "init_samples", False)
        super().__init__(**kwargs)
        if changed:
            self.log(
                "PyTorch Data Generator has to be created with init_samples=False. "
                "Setting it to False automatically."
            )

    def _concatenate(self, current: t.Any, new: list[np.ndarray]) -> t.Any:
        tensors = [torch.from_numpy(np.ascontiguousarray(array)) for array in new]
        return torch.cat(tensors if current is None else [current, *tensors])


class StaticDataGenerator(_TorchDataGenerationCommon):
    """The batches available at ``init_samples``, reshuffled each epoch (``dynamic=False``)."""

    def __init__(self, **kwargs: t.Any) -> None:
        changed = _forced(kwargs, "dynamic", False)
        super().__init__(**kwargs)
        if changed:
            self.log(
                "Static data generator cannot be started with dynamic=True, setting it to False"
            )


class DynamicDataGenerator(_TorchDataGenerationCommon):
    """Batches that grow as uploaders add more: new ones are fetched each epoch
    (``dynamic=True``)."""

    def __init__(self, **kwargs: t.Any) -> None:
        changed = _forced(kwargs, "dynamic", True)
        super().__init__(**kwargs)
        if changed:
            self.log(
                "Dynamic data generator cannot be started with dynamic=False, setting it to True"
            )


def _worker_init_fn(worker_id: int) -> None:
    """Make this worker's copy of the generator one more replica, then fetch its share.

    Worker ``w`` of ``n`` of replica ``r`` of ``R`` becomes replica ``r * n + w`` of ``R * n``,
    so workers (and ranks) read disjoint list entries; each opens its own client.
    """
    info = torch.utils.data.get_worker_info()
    if info is None:  # pragma: no cover - only called in a worker
        return
    dataset = t.cast(_TorchDataGenerationCommon, info.dataset)
    dataset.set_replica_parameters(
        replica_rank=dataset.replica_rank * info.num_workers + info.id,
        num_replicas=dataset.num_replicas * info.num_workers,
    )
    dataset.log(
        f"Worker {info.id + 1}/{info.num_workers}: dataset replica "
        f"{dataset.replica_rank + 1}/{dataset.num_replicas}"
    )
    dataset.init_samples(dataset.max_fetch_trials, dataset.wait_interval)


class DataLoader(torch.utils.data.DataLoader):
    """A torch DataLoader over a Static/DynamicDataGenerator with persistent workers, each of
    which fetches its own share of the batches (``num_workers`` must be at least 1).

    The generator yields whole batches, so ``batch_size`` defaults to None (no re-batching).
    """

    def __init__(self, dataset: _TorchDataGenerationCommon, **kwargs: t.Any) -> None:
        kwargs.setdefault("batch_size", None)
        super().__init__(dataset, worker_init_fn=_worker_init_fn, persistent_workers=True, **kwargs)
