"""DataInfo: what a training process needs to know to read the batches uploaders publish."""

from __future__ import annotations

import typing as t

from smartredis import Client, Dataset
from smartredis.error import RedisReplyError
from smartsim.log import get_logger

logger = get_logger(__name__)


def form_name(*args: t.Any) -> str:
    """Join the arguments that are not None with ``_`` (the naming rule of stored batches)."""
    return "_".join(str(arg) for arg in args if arg is not None)


class DataInfo:
    """Names of the aggregation list and of the sample/target tensors, and ``num_classes``.

    Uploaders ``publish`` it as the dataset ``<list_name>_info`` (names as meta strings, the
    number of classes as a meta scalar); trainers ``download`` it, so that only the list
    name has to be agreed on.
    """

    def __init__(
        self,
        list_name: str,
        sample_name: str = "samples",
        target_name: str = "targets",
        num_classes: int | None = None,
    ) -> None:
        self.list_name = list_name
        self.sample_name = sample_name
        self.target_name = target_name
        self.num_classes = num_classes
        self._ds_name = form_name(self.list_name, "info")

    def publish(self, client: Client) -> None:
        """Store this information as the dataset ``<list_name>_info``."""
        info_ds = Dataset(self._ds_name)
        info_ds.add_meta_string("sample_name", self.sample_name)
        if self.target_name:
            info_ds.add_meta_string("target_name", self.target_name)
        if self.num_classes:
            info_ds.add_meta_scalar("num_classes", self.num_classes)
        client.put_dataset(info_ds)

    def download(self, client: Client) -> None:
        """Replace these fields by the published ones; keep them (with a warning) if none was
        published."""
        try:
            info_ds = client.get_dataset(self._ds_name)
        except RedisReplyError:
            logger.warning(
                "Could not retrieve data for DataInfo object, the following values will be kept."
            )
            logger.warning(str(self))
            return
        self.sample_name = info_ds.get_meta_strings("sample_name")[0]
        fields = info_ds.get_metadata_field_names()
        if "target_name" in fields:
            self.target_name = info_ds.get_meta_strings("target_name")[0]
        if "num_classes" in fields:
            self.num_classes = int(info_ds.get_meta_scalars("num_classes")[0])

    def __repr__(self) -> str:
        lines = ["DataInfo object", f"Aggregation list name: {self.list_name}"]
        lines.append(f"Sample tensor name: {self.sample_name}")
        if self.target_name:
            lines.append(f"Target tensor name: {self.target_name}")
        if self.num_classes:
            lines.append(f"Number of classes: {self.num_classes}")
        return "\n".join(lines)


class InfoFields:
    """The names and class count of a :class:`DataInfo` held in ``_info``, as properties
    (the uploader and the downloader both show them, as in SmartSim)."""

    _info: DataInfo

    @property
    def list_name(self) -> str:
        """The aggregation list the batches are appended to."""
        return self._info.list_name

    @property
    def sample_name(self) -> str:
        """The name of the samples tensor in each batch dataset."""
        return self._info.sample_name

    @property
    def target_name(self) -> str:
        """The name of the targets tensor in each batch dataset."""
        return self._info.target_name

    @property
    def num_classes(self) -> int | None:
        """The number of target classes, for categorical targets."""
        return self._info.num_classes
