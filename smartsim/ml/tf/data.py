"""DataDownloader as a keras Sequence: ``model.fit(generator)`` trains on uploaded batches."""

from __future__ import annotations

import typing as t

import numpy as np
from tensorflow import keras  # type: ignore[import,unused-ignore]

from smartsim.ml._downloader import NOT_ENOUGH_SAMPLES, DataDownloader


class StaticDataGenerator(DataDownloader, keras.utils.Sequence):  # type: ignore[misc,unused-ignore]
    """The batches available at creation, reshuffled each epoch (``dynamic=False``).

    Targets are one-hot encoded (``keras.utils.to_categorical``) when ``num_classes`` is set.
    """

    def __init__(self, **kwargs: t.Any) -> None:
        dynamic = kwargs.pop("dynamic", False)
        kwargs["dynamic"] = False
        DataDownloader.__init__(self, **kwargs)
        keras.utils.Sequence.__init__(self)
        if dynamic:
            self.log(
                "Static data generator cannot be started with dynamic=True, setting it to False"
            )

    def __getitem__(self, index: int) -> t.Any:
        """Batch ``index`` of this epoch: ``(x, y)``, or ``x`` without targets.

        :raises ValueError: there is not one complete batch
        """
        if len(self) < 1:
            raise ValueError(NOT_ENOUGH_SAMPLES)
        return self._data_generation(self._calc_indices(index))

    def _data_generation(self, indices: np.ndarray) -> t.Any:
        batch = super()._data_generation(indices)
        if self.need_targets and self.num_classes is not None:
            xval, yval = batch
            return xval, keras.utils.to_categorical(yval, num_classes=self.num_classes)
        return batch

    def on_epoch_end(self) -> None:
        """Keras calls this after each epoch: reshuffle (if ``shuffle``)."""
        if self.shuffle:
            np.random.shuffle(self.indices)


class DynamicDataGenerator(StaticDataGenerator):
    """Batches that grow as uploaders add more: new ones are fetched after each epoch
    (``dynamic=True``)."""

    def __init__(self, **kwargs: t.Any) -> None:
        dynamic = kwargs.pop("dynamic", True)
        kwargs["dynamic"] = True
        DataDownloader.__init__(self, **kwargs)
        keras.utils.Sequence.__init__(self)
        if not dynamic:
            self.log(
                "Dynamic data generator cannot be started with dynamic=False, setting it to True"
            )

    def on_epoch_end(self) -> None:
        """Keras calls this after each epoch: fetch new batches, then reshuffle."""
        self.update_data()
