"""DataDownloader: a trainer's side of online training (batches out of uploaders' lists)."""

from __future__ import annotations

import os
import time
import typing as t

import numpy as np

from smartredis import Client, Dataset
from smartsim.error import SSInternalError
from smartsim.log import get_logger
from smartsim.ml._info import DataInfo, InfoFields

logger = get_logger(__name__)

NOT_ENOUGH_SAMPLES = (
    "Not enough samples in generator for one batch. Please run init_samples() or initialize "
    "generator with init_samples=True"
)


class DataDownloader(InfoFields):
    """Download the batches uploaders appended to their lists, and serve them as batches.

    The uploaders are the names in ``SSKEYIN`` (the entities registered as incoming), each
    read from its own prefixed list; without ``SSKEYIN`` the one unprefixed list is read.
    Entry ``i`` of every list goes to replica ``i % num_replicas``, so replicas (ranks of a
    distributed training, workers of a ``DataLoader``) get disjoint data that together is all
    of it. ``update_data`` fetches the entries added since the last call (``dynamic``) and
    reshuffles (``shuffle``); iterating calls it once, then yields ``len(self)`` batches of
    ``batch_size`` samples (a last, incomplete batch is left out).

    ``data_info_or_list_name`` is a ``DataInfo``, or the list name, whose published
    ``DataInfo`` is downloaded. ``init_samples`` (here, or later by calling it) waits until
    there is at least one batch: up to ``max_fetch_trials`` fetches (-1: no limit)
    ``wait_interval`` seconds apart.
    """

    def __init__(
        self,
        data_info_or_list_name: str | DataInfo,
        batch_size: int = 32,
        dynamic: bool = True,
        shuffle: bool = True,
        cluster: bool = True,
        address: str | None = None,
        replica_rank: int = 0,
        num_replicas: int = 1,
        verbose: bool = False,
        init_samples: bool = True,
        max_fetch_trials: int = -1,
        wait_interval: float = 10.0,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}")
        self.address = address
        self.cluster = cluster
        self.verbose = verbose
        self.shuffle = shuffle
        self.dynamic = dynamic
        self.batch_size = batch_size
        self.max_fetch_trials = max_fetch_trials
        self.wait_interval = wait_interval
        if isinstance(data_info_or_list_name, DataInfo):
            self._info = data_info_or_list_name
        elif isinstance(data_info_or_list_name, str):
            self._info = DataInfo(list_name=data_info_or_list_name)
            self._info.download(self._new_client())
        else:
            raise TypeError("data_info_or_list_name must be either DataInfo or str")
        self._client: Client | None = None
        self.uploader_keys = os.environ.get("SSKEYIN", "").split(",")
        self.set_replica_parameters(replica_rank, num_replicas)
        if init_samples:
            self.init_samples(max_fetch_trials, wait_interval)

    # -- configuration ----------------------------------------------------------------------
    def _new_client(self) -> Client:
        return Client(address=self.address, cluster=self.cluster)

    @property
    def client(self) -> Client:
        """The client of ``init_samples``.

        :raises ValueError: ``init_samples`` was not called yet
        """
        if self._client is None:
            raise ValueError("Client not initialized")
        return self._client

    def __getstate__(self) -> dict[str, t.Any]:
        """Copies (a DataLoader worker's) open their own connection: the client is not copied."""
        state = self.__dict__.copy()
        state["_client"] = None
        return state

    def log(self, message: str) -> None:
        """Log ``message`` if ``verbose``."""
        if self.verbose:
            logger.info(message)

    def set_replica_parameters(self, replica_rank: int, num_replicas: int) -> None:
        """Read only list entries ``replica_rank``, ``replica_rank + num_replicas``, ...; the
        samples downloaded so far are dropped (fetched again by the next update).

        :raises ValueError: ``num_replicas`` < 1 or ``replica_rank`` not in
            ``[0, num_replicas)``
        """
        if num_replicas < 1:
            raise ValueError(f"num_replicas must be at least 1, not {num_replicas}")
        if not 0 <= replica_rank < num_replicas:
            raise ValueError(
                f"replica_rank must be in [0, num_replicas={num_replicas}), not {replica_rank}"
            )
        self.replica_rank = replica_rank
        self.num_replicas = num_replicas
        self._forget_samples()

    def _forget_samples(self) -> None:
        """Start over from the first list entries of this replica's share (what was
        downloaded before belongs to another split, e.g. the DataLoader's main process)."""
        self.next_indices = [self.replica_rank] * max(1, len(self.uploader_keys))
        self._samples: t.Any = None
        self._targets: t.Any = None
        self._new_samples: list[np.ndarray] = []
        self._new_targets: list[np.ndarray] = []
        self._sample_shape: tuple[int, ...] | None = None
        self.num_samples = 0
        self.indices = np.arange(0)


    @property
    def autoencoding(self) -> bool:
        """Whether samples are their own targets (same tensor name)."""
        return self.sample_name == self.target_name

    @property
    def need_targets(self) -> bool:
        """Whether a targets tensor is downloaded with each batch."""
        return bool(self.target_name) and not self.autoencoding

    # -- fetching ---------------------------------------------------------------------------
    def init_samples(self, init_trials: int = -1, wait_interval: float = 10.0) -> None:
        """Connect and fetch until there is one batch: up to ``init_trials`` fetches (-1 or
        0: no limit), ``wait_interval`` seconds apart.

        :raises SSInternalError: still less than one batch after ``init_trials`` fetches
        """
        self._client = self._new_client()
        trials, max_trials = 0, init_trials or -1
        while not self:
            if trials == max_trials:
                raise SSInternalError("Could not download samples in given number of trials")
            if trials:
                self.log(
                    "DataLoader could not download samples, will try again in "
                    f"{wait_interval} seconds"
                )
                time.sleep(wait_interval)
            self._update_samples_and_targets()
            trials += 1
        if self.shuffle:
            np.random.shuffle(self.indices)

    def update_data(self) -> None:
        """Fetch entries added since the last call (if ``dynamic``), then reshuffle."""
        if self.dynamic:
            self._update_samples_and_targets()
        if self.shuffle:
            np.random.shuffle(self.indices)

    def _update_samples_and_targets(self) -> None:
        self.log(f"Rank {self.replica_rank} out of {self.num_replicas} replicas")
        client = self.client
        for number, uploader in enumerate(self.uploader_keys):
            if uploader:
                client.use_list_ensemble_prefix(True)
                client.set_data_source(uploader)
            length = client.get_list_length(self.list_name)
            positions = list(range(self.next_indices[number], length, self.num_replicas))
            if positions:
                self._add_samples(self._fetch(positions))
                self.next_indices[number] = positions[-1] + self.num_replicas

    def _fetch(self, positions: list[int]) -> list[Dataset]:
        """The datasets at ``positions`` of the current source's list (one range if they are
        contiguous)."""
        if self.num_replicas == 1:
            return self.client.get_dataset_list_range(self.list_name, positions[0], positions[-1])
        datasets: list[Dataset] = []
        for position in positions:
            datasets += self.client.get_dataset_list_range(self.list_name, position, position)
        return datasets

    def _add_samples(self, datasets: list[Dataset]) -> None:
        """Add the datasets' samples (and targets) to those downloaded; they are joined to
        them only when batches are made (see ``samples``), so frequent updates stay cheap.

        :raises ValueError: a batch's samples differ in shape from the others', or its
            targets do not have one entry per sample
        """
        samples = [ds.get_tensor(self.sample_name) for ds in datasets]
        shapes = {tuple(s.shape[1:]) for s in samples if s.ndim >= 1}
        if self._sample_shape is not None:
            shapes.add(self._sample_shape)
        if any(s.ndim < 1 for s in samples) or len(shapes) > 1:
            raise ValueError(
                f"Samples in list {self.list_name!r} must all have the same shape after the "
                f"first (sample) axis; found {sorted(shapes)}"
            )
        if self.need_targets:
            targets = [ds.get_tensor(self.target_name) for ds in datasets]
            for sample, target in zip(samples, targets, strict=True):
                if target.ndim < 1 or len(target) != len(sample):
                    raise ValueError(
                        f"Targets in list {self.list_name!r} must have one entry per sample: "
                        f"{len(sample)} samples, targets of shape {target.shape}"
                    )
            self._new_targets += targets
        self._new_samples += samples
        self._sample_shape = shapes.pop()
        self.num_samples += sum(len(sample) for sample in samples)
        self.indices = np.arange(self.num_samples)
        self.log(f"New dataset size: {self.num_samples}, batches: {len(self)}")

    def _concatenate(self, current: t.Any, new: list[np.ndarray]) -> t.Any:
        """``current`` followed by ``new`` along the sample axis (a framework overrides it)."""
        return np.concatenate(new if current is None else [current, *new])

    @property
    def samples(self) -> t.Any:
        """Every sample downloaded (None before the first), along the first axis."""
        if self._new_samples:
            self._samples = self._concatenate(self._samples, self._new_samples)
            self._new_samples = []
        return self._samples

    @property
    def targets(self) -> t.Any:
        """The targets of ``samples`` (None without targets)."""
        if self._new_targets:
            self._targets = self._concatenate(self._targets, self._new_targets)
            self._new_targets = []
        return self._targets

    # -- batches ----------------------------------------------------------------------------
    def __len__(self) -> int:
        """The number of complete batches downloaded."""
        return self.num_samples // self.batch_size

    def _calc_indices(self, index: int) -> np.ndarray:
        return self.indices[index * self.batch_size : (index + 1) * self.batch_size]

    def __iter__(self) -> t.Iterator[t.Any]:
        """Update (see ``update_data``), then yield every complete batch once.

        :raises ValueError: there is not one complete batch
        """
        self.update_data()
        if len(self) < 1:
            raise ValueError(NOT_ENOUGH_SAMPLES)
        for index in range(len(self)):
            yield self._data_generation(self._calc_indices(index))

    def _data_generation(self, indices: np.ndarray) -> t.Any:
        """The batch at ``indices``: ``(samples, targets)``, or samples alone without targets."""
        if self.samples is None:
            raise ValueError("Samples have not been initialized")
        xval = self.samples[indices]
        if self.need_targets:
            return xval, self.targets[indices]
        if self.autoencoding:
            return xval, xval
        return xval
