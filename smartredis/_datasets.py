"""DatasetStore: datasets and aggregation lists in the database, keyed as SmartRedis keys them.

A dataset at key ``K`` (``[prefix.]{name}``) is the hash ``K.meta`` - one field per metadata
field, ``.tensor_names`` listing the tensors, and ``.COMPLETE`` once everything is stored -
plus one tensor per name at ``K.<tensor>``. All share the hash tag ``{name}``, so they are on one
shard: a get is one pipeline, a put one pipeline of tensors then one HSET of the metadata with
``.COMPLETE``, sent only once every tensor was stored. An aggregation list is a Redis list of
dataset keys ``K``.
"""

from __future__ import annotations

import typing as t

from smartredis._keys import (
    check_not_reserved,
    dataset_name_from_key,
    dataset_tensor_key,
    meta_key,
)
from smartredis._metadata import TENSOR_NAMES_FIELD, decode_field
from smartredis.dataset import Dataset
from smartredis.error import RedisKeyError, RedisRuntimeError, _MissingKeyRuntimeError
from smartredis.wire import tensor as tensor_format
from smartredis.wire.protocol import Reply, ReplyError
from smartredis.wire.router import Command, Router
from smartredis.wire.store import TensorStore, head_command, raise_errors

ACK_FIELD = ".COMPLETE"
"""Set by put_dataset with the metadata, after every tensor was stored; dataset_exists looks
for it."""


def _field_pairs(reply: Reply) -> list[tuple[str, bytes]]:
    """(field, value) pairs of an HGETALL reply, without the completion mark."""
    items = t.cast(list[t.Any], reply or [])
    pairs = []
    for field, value in zip(items[::2], items[1::2], strict=True):
        name = bytes(field).decode()
        if name != ACK_FIELD:
            pairs.append((name, value))
    return pairs


def _tensor_names(pairs: list[tuple[str, bytes]]) -> list[str]:
    for field, value in pairs:
        if field == TENSOR_NAMES_FIELD:
            return decode_field(field, value)[1]
    return []


class DatasetStore:
    """Dataset and aggregation-list operations on one database."""

    def __init__(self, server: Router, tensors: TensorStore) -> None:
        self._server = server
        self._tensors = tensors

    def _meta(self, dataset_key: str) -> list[tuple[str, bytes]]:
        key = meta_key(dataset_key)
        return _field_pairs(self._server.execute(key, "HGETALL", key))

    def _write_meta(
        self, dataset_key: str, fields: list[tuple[str, bytes]], tensor_commands: list[Command]
    ) -> list[Reply]:
        """Drop the old metadata and run ``tensor_commands`` (one pipeline); only if all of
        them succeeded, write the metadata and the completion mark in one HSET, so that a
        failed write leaves no dataset rather than one marked complete.

        Returns the replies to ``tensor_commands``.

        :raises ReplyError: a command was refused (nothing is marked complete then)
        """
        key = meta_key(dataset_key)
        commands: list[Command] = [("DEL", key), *tensor_commands]
        replies = self._server.pipeline(key, commands)
        raise_errors(replies, commands)
        flat = [item for pair in fields for item in pair]
        self._server.execute(key, "HSET", key, *flat, ACK_FIELD, "1")
        return replies[1:]

    def put(self, dataset: Dataset, dataset_key: str) -> None:
        """Store ``dataset`` at ``dataset_key``.

        :raises RedisRuntimeError: it has no tensors and no metadata, or a tensor name is
            reserved (before anything is written)
        :raises ReplyError: the database refused a tensor or the metadata; the dataset is
            then not marked complete
        """
        fields = dataset._metadata.encode()
        if not fields:
            raise RedisRuntimeError(
                "An attempt was made to put a DataSet into the database that does not "
                f"contain any fields or tensors (dataset {dataset.get_name()!r})."
            )
        for name in dataset._tensors:
            check_not_reserved(name, "Tensor name")
        tensor_commands: list[Command] = []
        written: list[tuple[str, int]] = []
        for name, array in dataset._tensors.items():
            key = dataset_tensor_key(dataset_key, name)
            commands, parts, nparts = self._tensors.write_commands(key, array, dataset._codes[name])
            self._tensors.write_parts(parts)
            tensor_commands += commands
            written.append((key, nparts))
        heads = self._write_meta(dataset_key, fields, tensor_commands)[::2]
        for (key, nparts), head in zip(written, heads, strict=True):
            self._tensors.drop_stale(key, head, nparts)

    def exists(self, dataset_key: str) -> bool:
        """Whether the dataset was stored completely."""
        key = meta_key(dataset_key)
        return bool(self._server.execute(key, "HEXISTS", key, ACK_FIELD))

    def get_many(self, entries: list[tuple[str, str]], strict: bool) -> list[Dataset]:
        """The datasets (name, key) in order, fetched with one pipeline per shard and step.

        :raises RedisKeyError: ``strict`` and a dataset does not exist; or a listed tensor
            is missing
        """
        metas = self._server.pipeline_grouped(
            [(meta_key(k), ("HGETALL", meta_key(k))) for _, k in entries]
        )
        datasets: list[Dataset] = []
        wanted: list[tuple[Dataset, str, str]] = []
        for (name, key), meta in zip(entries, metas, strict=True):
            if isinstance(meta, ReplyError):
                meta.command, meta.key = "HGETALL", meta_key(key)
                raise meta
            if strict and not meta:
                raise RedisKeyError(f'The requested DataSet, "{name}", does not exist.', key=key)
            dataset = Dataset(name)
            for field, field_value in _field_pairs(meta):
                dataset._metadata.add_encoded(field, field_value)
            names = (
                dataset._metadata.strings(TENSOR_NAMES_FIELD)
                if dataset._metadata.has(TENSOR_NAMES_FIELD)
                else []
            )
            wanted += [(dataset, tensor, dataset_tensor_key(key, tensor)) for tensor in names]
            datasets.append(dataset)
        values = self._server.pipeline_grouped([(k, ("GET", k)) for _, _, k in wanted])
        for (dataset, tensor, key), value in zip(wanted, values, strict=True):
            if value is None:
                raise RedisKeyError(
                    f"Dataset {dataset.get_name()!r} lists tensor {tensor!r}, but key {key!r} "
                    "does not exist",
                    key=key,
                )
            if isinstance(value, ReplyError):
                value.command, value.key = "GET", key
                raise value
            array = self._tensors.from_value(key, value)
            dataset._attach_tensor(tensor, array, tensor_format.dtype_code(array.dtype))
        return datasets

    def get_list_entries(self, entries: list[bytes]) -> list[Dataset]:
        """The datasets an aggregation list's entries (dataset keys) point to."""
        pairs = []
        for index, entry in enumerate(entries):
            key = bytes(entry).decode()
            if not key:
                raise RedisRuntimeError(
                    f"Element {index} contains an empty key, which is not permitted."
                )
            pairs.append((dataset_name_from_key(key), key))
        return self.get_many(pairs, strict=False)

    def delete(self, dataset_key: str, name: str) -> None:
        """Remove a dataset's metadata and tensors.

        :raises RedisKeyError: there is no such dataset (also a RedisRuntimeError)
        """
        pairs = self._meta(dataset_key)
        if not pairs:
            raise _MissingKeyRuntimeError(
                f"The requested DataSet {name} does not exist.", key=dataset_key
            )
        keys = [dataset_tensor_key(dataset_key, tensor) for tensor in _tensor_names(pairs)]
        commands: list[Command] = [head_command(k) for k in keys]
        commands.append(("UNLINK", meta_key(dataset_key), *keys))
        replies = self._server.pipeline(meta_key(dataset_key), commands)
        raise_errors(replies, commands)
        for key, head in zip(keys, replies[: len(keys)], strict=True):
            self._tensors.drop_stale(key, head, 1)

    def copy(self, src_key: str, dest_key: str, name: str) -> None:
        """Copy the dataset at ``src_key`` to ``dest_key``.

        :raises RedisKeyError: there is no such dataset
        """
        pairs = self._meta(src_key)
        if not pairs:
            raise RedisKeyError(f"The requested DataSet {name} does not exist.", key=src_key)
        if src_key == dest_key:
            return
        for tensor in _tensor_names(pairs):
            self._tensors.copy(
                dataset_tensor_key(src_key, tensor), dataset_tensor_key(dest_key, tensor), tensor
            )
        self._write_meta(dest_key, pairs, [])

    def copy_list(self, src: str, dest: str, name: str) -> None:
        """Replace list ``dest`` with the entries of list ``src``.

        :raises RedisKeyError: ``src`` is empty or missing (also a RedisRuntimeError)
        """
        entries = t.cast(list[t.Any], self._server.execute(src, "LRANGE", src, 0, -1))
        if not entries:
            raise _MissingKeyRuntimeError(
                f"The source aggregation list {name!r} does not exist (key {src!r}).", key=src
            )
        commands: list[Command] = [("DEL", dest), ("RPUSH", dest, *entries)]
        raise_errors(self._server.pipeline(dest, commands), commands)
