"""Database key names, exactly as SmartRedis 0.6 forms them (ensemble prefixes included).

A writer prefixes with ``SSKEYOUT`` and a reader with its data source, by default the first
name in ``SSKEYIN``; the prefix and name are joined by ``.``. Which kinds are prefixed is
switched per kind: tensors, datasets and aggregation lists by default, models and scripts not.

``put_*``-side names (``on_db=False``) are the ones being written; ``on_db=True`` names are
the ones read, checked, deleted, or copied/renamed from.
"""

from __future__ import annotations

from smartredis.error import RedisRuntimeError, _ArgumentError
from smartredis.wire.tensor import is_part_key

DATASET_META_SUFFIX = ".meta"
"""The hash of a dataset's metadata is ``<dataset key>.meta``."""


def check_not_reserved(name: str, what: str = "Name") -> None:
    """Refuse a name ending in ``#part<digits>``: its key would be a part of another tensor's.

    :raises RedisRuntimeError: the name is reserved (also a ValueError)
    """
    if is_part_key(name):
        raise _ArgumentError(
            f"{what} {name!r} ends in '#part<digits>', which is reserved for the keys of the "
            "parts of large tensors (see docs/tensor-format.md)"
        )


def parse_prefixes(sskeyin: str) -> list[str]:
    """The names in ``SSKEYIN`` (comma separated; empty entries are skipped)."""
    return [name for name in sskeyin.split(",") if name]


class KeyBuilder:
    """Turns user names into database keys under the current prefix settings."""

    def __init__(self, put_prefix: str = "", get_prefixes: list[str] | None = None) -> None:
        self.put_prefix = put_prefix
        self.get_prefixes = list(get_prefixes or [])
        self.get_prefix = self.get_prefixes[0] if self.get_prefixes else ""
        self.use_tensor_prefix = True
        self.use_dataset_prefix = True
        self.use_model_prefix = False
        self.use_list_prefix = True

    def set_data_source(self, source_id: str) -> None:
        """Read from ``source_id``'s keys from now on.

        :raises RedisRuntimeError: ``source_id`` is not one of the SSKEYIN names
        """
        if source_id not in self.get_prefixes:
            raise RedisRuntimeError(
                f"Client error: data source {source_id} could not be found during client "
                f"initialization (SSKEYIN names: {', '.join(self.get_prefixes) or 'none'})"
            )
        self.get_prefix = source_id

    def _prefix(self, enabled: bool, on_db: bool) -> str:
        if not enabled:
            return ""
        prefix = self.get_prefix if on_db else self.put_prefix
        return prefix + "." if prefix else ""

    def tensor(self, name: str, on_db: bool) -> str:
        """The key of a tensor (a reserved name is refused)."""
        check_not_reserved(name)
        return self._prefix(self.use_tensor_prefix, on_db) + name

    def model(self, name: str, on_db: bool) -> str:
        """The key of a model or script (a reserved name is refused)."""
        check_not_reserved(name)
        return self._prefix(self.use_model_prefix, on_db) + name

    def list(self, name: str, on_db: bool) -> str:
        """The key of an aggregation list (a reserved name is refused)."""
        check_not_reserved(name)
        return self._prefix(self.use_list_prefix, on_db) + name

    def dataset(self, name: str, on_db: bool) -> str:
        """A dataset's key, ``[prefix.]{name}``; its hash tag keeps its pieces on one shard."""
        return self._prefix(self.use_dataset_prefix, on_db) + "{" + name + "}"

    def dataset_meta(self, name: str, on_db: bool) -> str:
        """The key of a dataset's metadata hash."""
        return meta_key(self.dataset(name, on_db))

    def dataset_tensor(self, name: str, tensor: str, on_db: bool) -> str:
        """The key of one tensor of a dataset (a reserved tensor name is refused)."""
        check_not_reserved(tensor, "Tensor name")
        return dataset_tensor_key(self.dataset(name, on_db), tensor)


def meta_key(dataset_key: str) -> str:
    """The metadata hash of the dataset at ``dataset_key``: ``<dataset key>.meta``."""
    return dataset_key + DATASET_META_SUFFIX


def dataset_tensor_key(dataset_key: str, tensor: str) -> str:
    """The key of tensor ``tensor`` of a dataset: ``<dataset key>.<tensor>``."""
    return dataset_key + "." + tensor


def dataset_name_from_key(dataset_key: str) -> str:
    """The dataset name inside an aggregation-list entry ``[prefix.]{name}``.

    :raises ValueError: the entry has no ``{...}``
    """
    start, end = dataset_key.find("{"), dataset_key.rfind("}")
    if start < 0 or end <= start:
        raise ValueError(f"Aggregation list entry {dataset_key!r} is not a dataset key")
    return dataset_key[start + 1 : end]
