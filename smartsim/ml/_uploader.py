"""TrainingDataUploader: a producer's side of online training (batches into a list)."""

from __future__ import annotations

import numpy as np

from smartredis import Client, Dataset
from smartsim.log import get_logger
from smartsim.ml._info import DataInfo, InfoFields, form_name

logger = get_logger(__name__)


class TrainingDataUploader(InfoFields):
    """Put batches of samples (and targets) as datasets and append them to an aggregation list.

    Batch ``i`` of rank ``rank`` is the dataset ``training_samples_<rank>_<i>`` (the rank is
    left out when None). Started as an ensemble member (``SSKEYOUT`` set), the client
    prefixes the datasets and the list with the member's name, so each member fills a list
    of its own that a ``DataDownloader`` finds through ``SSKEYIN``.
    """

    def __init__(
        self,
        list_name: str = "training_data",
        sample_name: str = "samples",
        target_name: str = "targets",
        num_classes: int | None = None,
        cluster: bool = True,
        address: str | None = None,
        rank: int | None = None,
        verbose: bool = False,
    ) -> None:
        if not list_name:
            raise ValueError("Name can not be empty")
        if not sample_name:
            raise ValueError("Sample name can not be empty")
        self.client = Client(address=address, cluster=cluster)
        self.verbose = verbose
        self.batch_idx = 0
        self.rank = rank
        self._info = DataInfo(list_name, sample_name, target_name, num_classes)


    def publish_info(self) -> None:
        """Publish the list and tensor names so a trainer needs only the list name."""
        self._info.publish(self.client)

    def put_batch(self, samples: np.ndarray, targets: np.ndarray | None = None) -> None:
        """Store one batch (samples along the first axis) and append it to the list.

        :raises ValueError: samples are a scalar, or targets do not have one entry per sample
        """
        if np.ndim(samples) < 1:
            raise ValueError("Samples must have at least one dimension (the sample axis)")
        if not self.target_name or self.target_name == self.sample_name:
            targets = None  # no targets, or the samples are their own (autoencoding)
        if targets is not None and (np.ndim(targets) < 1 or len(targets) != len(samples)):
            raise ValueError(
                f"Targets must have one entry per sample: {len(samples)} samples, "
                f"targets of shape {np.shape(targets)}"
            )
        name = form_name("training_samples", self.rank, self.batch_idx)
        batch = Dataset(name)
        batch.add_tensor(self.sample_name, samples)
        if targets is not None:
            batch.add_tensor(self.target_name, targets)
        self._log(f"Putting dataset {name} with samples" + (" and targets" * (targets is not None)))
        self.client.put_dataset(batch)
        self.client.append_to_list(self.list_name, batch)
        if self.verbose:
            self._log(f"Added dataset to list {self.list_name}")
            self._log(f"List length {self.client.get_list_length(self.list_name)}")
        self.batch_idx += 1

    def _log(self, message: str) -> None:
        if self.verbose:
            logger.info(message)
