"""Client: the SmartRedis 0.6 API over a standalone or clustered database.

Tensors are stored in the format of :mod:`smartredis.wire.tensor`, datasets and aggregation lists
as in :mod:`smartredis._datasets`; key names follow :mod:`smartredis._keys`.
"""

from __future__ import annotations

import os
import random
import time
import typing as t

import numpy as np

from smartredis._datasets import DatasetStore
from smartredis._keys import KeyBuilder, parse_prefixes
from smartredis._model_methods import ModelMethods
from smartredis._models import ModelStore
from smartredis._settings import Settings, resolve
from smartredis._util import api, check_name, typecheck
from smartredis.configoptions import ConfigOptions
from smartredis.dataset import Dataset
from smartredis.error import (
    RedisConnectionError,
    RedisReplyError,
    RedisRuntimeError,
    _ArgumentError,
)
from smartredis.logger import LLDebug, SRLoggingLevel
from smartredis.srobject import SRObject
from smartredis.wire import tensor as tensor_format
from smartredis.wire.cluster import ClusterRouter
from smartredis.wire.connection import Address
from smartredis.wire.protocol import ReplyError
from smartredis.wire.retry import AddressError
from smartredis.wire.router import Router, StandaloneRouter
from smartredis.wire.store import TensorStore

_CLUSTER_DISABLED = "cluster support disabled"


def _parse_info(text: str, sections: bool) -> dict[str, t.Any]:
    """INFO / CLUSTER INFO text as a dict (``{section: {field: value}}`` for INFO)."""
    result: dict[str, t.Any] = {}
    current: dict[str, t.Any] = result
    for line in text.splitlines():
        if not line:
            continue
        if sections and line.startswith("#"):
            current = result.setdefault(line[2:], {})
            continue
        field, _, value = line.partition(":")
        current[field] = value
    return result


class Client(SRObject, ModelMethods):
    """A connection to the database for tensors, datasets and aggregation lists.

    ``Client(config_options=None, logger_name="Default")`` reads its settings from the
    environment (``SSDB``, ``SR_DB_TYPE``...; suffixed through
    ``ConfigOptions.create_from_environment(suffix)``).
    ``Client(cluster, address=None, logger_name="Default")`` names the database directly (the
    address is put in this process's ``SSDB``, as SmartRedis does; without one, ``SSDB`` must
    be set); ``cluster=None`` takes the type from ``SR_DB_TYPE``.

    A Client may be shared by threads: it keeps one connection per database node, and each
    command holds that connection from send to reply, so commands from several threads to
    one node take turns (a thread that needs its own, parallel stream makes its own Client).
    """

    def __init__(self, *a: t.Any, **kw: t.Any) -> None:
        """Connect to the database (see the class doc for the two forms).

        :raises RedisConnectionError: the database is not reachable within SR_CONN_TIMEOUT,
            its address is missing, malformed or does not resolve, or (address form) there
            is neither an address nor SSDB
        :raises TypeError: arguments of neither form, or an unknown keyword
        """
        if a and isinstance(a[0], bool):
            unknown = next((k for k in kw if k not in ("cluster", "address", "logger_name")), None)
            if unknown is not None:
                raise TypeError(f"__init__() got an unexpected keyword argument '{unknown}'")
            self._from_address(*a, **kw)
        elif a and not (a[0] is None or isinstance(a[0], ConfigOptions)):
            raise TypeError(f"Invalid type for argument 0: {type(a[0])}")
        elif not a and ({"address", "cluster"} & kw.keys()):
            self._from_address(*a, **kw)
        else:
            self._from_options(*a, **kw)

    def _from_address(
        self, cluster: bool | None, address: str | None = None, logger_name: str = "Default"
    ) -> None:
        """The driver form: as SmartRedis, a given address becomes this process's SSDB."""
        if cluster is not None:
            typecheck(cluster, "cluster", bool)
        if address is not None:
            typecheck(address, "address", str)
        if address:
            os.environ["SSDB"] = address
        if "SSDB" not in os.environ:
            raise RedisConnectionError("Could not connect to database. $SSDB not set")
        self._connect(ConfigOptions.create_from_environment(""), cluster, logger_name)

    def _from_options(
        self, config_options: ConfigOptions | None = None, logger_name: str = "Default"
    ) -> None:
        if config_options is None:
            config_options = ConfigOptions.create_from_environment("")
        elif not config_options.is_factory_object:
            raise RedisRuntimeError(
                "Method called on a ConfigOptions object not created from a factory method"
            )
        self._connect(config_options._clone(), None, logger_name)

    def _connect(self, options: ConfigOptions, cluster: bool | None, logger_name: str) -> None:
        typecheck(logger_name, "logger_name", str)
        super().__init__(logger_name)
        try:
            self._settings = resolve(options, cluster)
            self._server = self._open(self._settings)
        except AddressError as exc:
            raise RedisConnectionError(str(exc)) from None
        except RedisReplyError as exc:  # as SmartRedis: any failure to start is a connection one
            raise RedisConnectionError(exc.cpp_error) from exc
        self._keys = KeyBuilder(
            options._resolve_string_option("SSKEYOUT", ""),
            parse_prefixes(options._resolve_string_option("SSKEYIN", "")),
        )
        self._tensors = TensorStore(self._server)
        self._datasets = DatasetStore(self._server, self._tensors)
        self._models = ModelStore(self._server, self._tensors)
        self.log_data(LLDebug, "New client created")

    @api
    def _open(self, settings: Settings) -> Router:
        hook = self._log_hook
        if settings.cluster:
            try:
                return ClusterRouter(settings.addresses, settings.policy, hook, settings.password)
            except ReplyError as exc:
                if not (settings.cluster_inferred and _CLUSTER_DISABLED in str(exc)):
                    raise
                self.log_data(LLDebug, "SR_DB_TYPE is not set and the database is standalone")
        return StandaloneRouter(
            random.choice(settings.addresses), settings.policy, hook, settings.password
        )

    def _log_hook(self, level: int, message: str) -> None:
        self.log_data(SRLoggingLevel(level), message)

    def __del__(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None:
            server.close()

    def __str__(self) -> str:
        server, policy = self._server, self._settings.policy
        nodes = server.nodes
        lines = [f"Client ({self._lname}):", "  Redis shards at:"]
        lines += [f"    {node}" for node in nodes]
        protocol = "Unix Domain Socket" if nodes and nodes[0].path else "TCP"
        lines += [
            f"  Protocol: {protocol}",
            f"  Clustered: {server.is_cluster}",
            "  Command parameters:",
            f"    Retry interval (ms): {policy.command_interval * 1000:g}",
            f"    Attempt timeout (s): {policy.command_timeout:g}",
            "  Connection parameters:",
            f"    Retry interval (ms): {policy.connect_interval * 1000:g}",
            f"    Attempt timeout (s): {policy.connect_timeout:g}",
            f"  Threadpool: {self._settings.thread_count} threads",
        ]
        return "\n".join(lines)

    # -- tensors ----------------------------------------------------------------------------
    @api
    def put_tensor(self, name: str, data: np.ndarray) -> None:
        """Store an array under ``name`` (prefixed with SSKEYOUT when prefixing is on).

        :raises TypeError: data is not a numpy array of a SmartRedis dtype (float32/64,
            int8/16/32/64, uint8/16)
        :raises ValueError: name is empty
        """
        typecheck(name, "name", str)
        typecheck(data, "data", np.ndarray)
        check_name(name, "name")
        array, code = tensor_format.prepare(data)
        self._tensors.put(self._keys.tensor(name, False), array, code)

    @api
    def get_tensor(self, name: str) -> np.ndarray:
        """The array stored under ``name`` (a new, writable, C-ordered array).

        :raises RedisKeyError: there is no tensor under that name
        """
        typecheck(name, "name", str)
        return self._tensors.get(self._keys.tensor(name, True), name)

    @api
    def unpack_tensor(self, name: str, result: np.ndarray) -> None:
        """Read the tensor ``name`` into ``result``, which must match its dtype and size.

        A C-contiguous ``result`` receives the bytes straight from the socket.

        :raises RedisKeyError: there is no tensor under that name
        :raises RedisRuntimeError: ``result`` has another dtype or shape, or is read-only
        """
        typecheck(name, "name", str)
        typecheck(result, "result", np.ndarray)
        self._tensors.get(self._keys.tensor(name, True), name, result)

    @api
    def delete_tensor(self, name: str) -> None:
        """Delete the tensor ``name`` (nothing happens if there is none)."""
        typecheck(name, "name", str)
        self._tensors.delete(self._keys.tensor(name, True))

    @api
    def copy_tensor(self, src_name: str, dest_name: str) -> None:
        """Copy a tensor (source read with the data source prefix, copy written with SSKEYOUT).

        :raises RedisKeyError: there is no tensor ``src_name``
        """
        typecheck(src_name, "src_name", str)
        typecheck(dest_name, "dest_name", str)
        check_name(dest_name, "dest_name")
        src, dest = self._keys.tensor(src_name, True), self._keys.tensor(dest_name, False)
        self._tensors.copy(src, dest, src_name)

    @api
    def rename_tensor(self, old_name: str, new_name: str) -> None:
        """Move a tensor to a new name.

        :raises RedisKeyError: there is no tensor ``old_name``
        """
        typecheck(old_name, "old_name", str)
        typecheck(new_name, "new_name", str)
        check_name(new_name, "new_name")
        src, dest = self._keys.tensor(old_name, True), self._keys.tensor(new_name, False)
        self._tensors.rename(src, dest, old_name)

    @api
    def tensor_exists(self, name: str) -> bool:
        """Whether a tensor ``name`` exists (under the data source prefix)."""
        typecheck(name, "name", str)
        return self._exists(self._keys.tensor(name, True))

    @api
    def poll_tensor(self, name: str, poll_frequency_ms: int, num_tries: int) -> bool:
        """Check for tensor ``name`` up to ``num_tries`` times, ``poll_frequency_ms`` apart."""
        typecheck(name, "name", str)
        return self._poll(lambda: self.tensor_exists(name), poll_frequency_ms, num_tries)

    # -- keys -------------------------------------------------------------------------------
    def _exists(self, key: str) -> bool:
        return bool(self._server.execute(key, "EXISTS", key))

    @api
    def key_exists(self, key: str) -> bool:
        """Whether ``key`` exists (taken literally: no prefix)."""
        typecheck(key, "key", str)
        return self._exists(key)

    @api
    def poll_key(self, key: str, poll_frequency_ms: int, num_tries: int) -> bool:
        """Check for ``key`` up to ``num_tries`` times, ``poll_frequency_ms`` apart."""
        typecheck(key, "key", str)
        return self._poll(lambda: self._exists(key), poll_frequency_ms, num_tries)

    @staticmethod
    def _poll(check: t.Callable[[], bool], poll_frequency_ms: int, num_tries: int) -> bool:
        """Whether ``check`` passes within ``num_tries`` tries ``poll_frequency_ms`` apart.

        :raises RedisRuntimeError: a negative ``poll_frequency_ms`` (also a ValueError)
        """
        typecheck(poll_frequency_ms, "poll_frequency_ms", int)
        typecheck(num_tries, "num_tries", int)
        if poll_frequency_ms < 0:
            raise _ArgumentError(
                f"poll_frequency_ms must not be negative (got {poll_frequency_ms})"
            )
        for attempt in range(num_tries):
            if check():
                return True
            if attempt + 1 < num_tries:
                time.sleep(poll_frequency_ms / 1000)
        return False

    # -- datasets ---------------------------------------------------------------------------
    @api
    def put_dataset(self, dataset: Dataset) -> None:
        """Store a dataset's tensors and metadata under ``[SSKEYOUT.]{name}``; it is marked
        complete (``dataset_exists``) only once every part of it was stored.

        :raises TypeError: not a Dataset
        :raises RedisRuntimeError: the dataset has neither tensors nor metadata
        :raises RedisReplyError: the database refused part of it (the error of that part,
            e.g. RedisBadAllocError for a full database); the dataset then does not exist
        """
        typecheck(dataset, "dataset", Dataset)
        name = dataset.get_name()
        self._datasets.put(dataset, self._keys.dataset(name, False))

    @api
    def get_dataset(self, name: str) -> Dataset:
        """The dataset stored as ``name``.

        :raises RedisKeyError: there is no such dataset, or one of its tensors is missing
        """
        typecheck(name, "name", str)
        found = self._datasets.get_many([(name, self._keys.dataset(name, True))], strict=True)
        return found[0]

    @api
    def delete_dataset(self, name: str) -> None:
        """Delete a dataset: its metadata and all its tensors.

        :raises RedisKeyError: there is no such dataset (also a RedisRuntimeError)
        """
        typecheck(name, "name", str)
        self._datasets.delete(self._keys.dataset(name, True), name)

    @api
    def copy_dataset(self, src_name: str, dest_name: str) -> None:
        """Copy a dataset to a new name.

        :raises RedisKeyError: there is no dataset ``src_name``
        """
        typecheck(src_name, "src_name", str)
        typecheck(dest_name, "dest_name", str)
        check_name(dest_name, "dest_name")
        src, dest = self._keys.dataset(src_name, True), self._keys.dataset(dest_name, False)
        self._datasets.copy(src, dest, src_name)

    @api
    def rename_dataset(self, old_name: str, new_name: str) -> None:
        """Move a dataset to a new name (copy, then delete the original).

        :raises RedisKeyError: there is no dataset ``old_name``
        """
        typecheck(old_name, "old_name", str)
        typecheck(new_name, "new_name", str)
        check_name(new_name, "new_name")
        src, dest = self._keys.dataset(old_name, True), self._keys.dataset(new_name, False)
        self._datasets.copy(src, dest, old_name)
        if src != dest:
            self._datasets.delete(src, old_name)

    @api
    def dataset_exists(self, name: str) -> bool:
        """Whether dataset ``name`` exists and was stored completely."""
        typecheck(name, "name", str)
        return self._datasets.exists(self._keys.dataset(name, True))

    @api
    def poll_dataset(self, name: str, poll_frequency_ms: int, num_tries: int) -> bool:
        """Check for dataset ``name`` up to ``num_tries`` times, ``poll_frequency_ms`` apart."""
        typecheck(name, "name", str)
        return self._poll(lambda: self.dataset_exists(name), poll_frequency_ms, num_tries)

    # -- aggregation lists ------------------------------------------------------------------
    @api
    def append_to_list(self, list_name: str, dataset: Dataset) -> None:
        """Append a reference to a (stored) dataset to an aggregation list, creating it.

        It is not sent again after a lost connection that may have run it (that would
        append it twice): RedisConnectionError then says so.
        """
        typecheck(list_name, "list_name", str)
        typecheck(dataset, "dataset", Dataset)
        check_name(list_name, "list_name")
        key = self._keys.list(list_name, False)
        entry = self._keys.dataset(dataset.get_name(), False)
        self._server.execute(key, "RPUSH", key, entry, repeatable=False)

    @api
    def delete_list(self, list_name: str) -> None:
        """Delete an aggregation list (not the datasets it references)."""
        typecheck(list_name, "list_name", str)
        key = self._keys.list(list_name, True)
        self._server.execute(key, "DEL", key)

    @api
    def copy_list(self, src_name: str, dest_name: str) -> None:
        """Copy an aggregation list, replacing ``dest_name``.

        :raises ValueError: a name is empty
        :raises RedisKeyError: the source list is empty or missing (also a RedisRuntimeError)
        """
        typecheck(src_name, "src_name", str)
        typecheck(dest_name, "dest_name", str)
        check_name(src_name, "src_name")
        check_name(dest_name, "dest_name")
        if src_name != dest_name:
            src, dest = self._keys.list(src_name, True), self._keys.list(dest_name, False)
            self._datasets.copy_list(src, dest, src_name)

    @api
    def rename_list(self, src_name: str, dest_name: str) -> None:
        """Move an aggregation list to a new name.

        :raises ValueError: a name is empty
        :raises RedisKeyError: the source list is empty or missing (also a RedisRuntimeError)
        """
        typecheck(src_name, "src_name", str)
        typecheck(dest_name, "dest_name", str)
        check_name(src_name, "src_name")
        check_name(dest_name, "dest_name")
        if src_name != dest_name:
            src, dest = self._keys.list(src_name, True), self._keys.list(dest_name, False)
            self._datasets.copy_list(src, dest, src_name)
            self._server.execute(src, "DEL", src)

    @api
    def get_list_length(self, list_name: str) -> int:
        """The number of entries in an aggregation list (0 if there is none)."""
        typecheck(list_name, "list_name", str)
        key = self._keys.list(list_name, True)
        return int(self._server.execute(key, "LLEN", key))  # type: ignore[arg-type]

    def _poll_length(
        self, name: str, length: int, freq: int, tries: int, ok: t.Callable[[int], bool]
    ) -> bool:
        """Poll until ``ok(length of the list)``; every argument is type-checked first."""
        typecheck(name, "name", str)
        typecheck(length, "list_length", int)
        typecheck(freq, "poll_frequency_ms", int)
        typecheck(tries, "num_tries", int)
        if length < 0:
            raise ValueError("A positive value for list_length must be provided.")
        return self._poll(lambda: ok(self.get_list_length(name)), freq, tries)

    @api
    def poll_list_length(
        self, name: str, list_length: int, poll_frequency_ms: int, num_tries: int
    ) -> bool:
        """Wait until the list has exactly ``list_length`` entries; False if it never does."""
        return self._poll_length(
            name, list_length, poll_frequency_ms, num_tries, lambda n: n == list_length
        )

    @api
    def poll_list_length_gte(
        self, name: str, list_length: int, poll_frequency_ms: int, num_tries: int
    ) -> bool:
        """Wait until the list has at least ``list_length`` entries; False if it never does."""
        return self._poll_length(
            name, list_length, poll_frequency_ms, num_tries, lambda n: n >= list_length
        )

    @api
    def poll_list_length_lte(
        self, name: str, list_length: int, poll_frequency_ms: int, num_tries: int
    ) -> bool:
        """Wait until the list has at most ``list_length`` entries; False if it never does."""
        return self._poll_length(
            name, list_length, poll_frequency_ms, num_tries, lambda n: n <= list_length
        )

    @api
    def get_datasets_from_list(self, list_name: str) -> list[Dataset]:
        """Every dataset an aggregation list references (empty for a missing list)."""
        typecheck(list_name, "list_name", str)
        return self.get_dataset_list_range(list_name, 0, -1)

    @api
    def get_dataset_list_range(
        self, list_name: str, start_index: int, end_index: int
    ) -> list[Dataset]:
        """The datasets at positions ``start_index``..``end_index`` (inclusive, negative from
        the end) of an aggregation list."""
        typecheck(list_name, "list_name", str)
        typecheck(start_index, "start_index", int)
        typecheck(end_index, "end_index", int)
        if not list_name:
            raise ValueError("The list name must have length greater than zero")
        key = self._keys.list(list_name, True)
        entries = self._server.execute(key, "LRANGE", key, start_index, end_index)
        return self._datasets.get_list_entries(t.cast(list[bytes], entries))

    # -- prefixes ---------------------------------------------------------------------------
    @api
    def set_data_source(self, source_id: str) -> None:
        """Read keys written by ``source_id`` (one of the SSKEYIN names) from now on.

        :raises RedisRuntimeError: ``source_id`` is not in SSKEYIN
        """
        typecheck(source_id, "source_id", str)
        self._keys.set_data_source(source_id)

    @api
    def use_tensor_ensemble_prefix(self, use_prefix: bool) -> None:
        """Prefix tensor keys (on by default)."""
        typecheck(use_prefix, "use_prefix", bool)
        self._keys.use_tensor_prefix = use_prefix

    @api
    def use_dataset_ensemble_prefix(self, use_prefix: bool) -> None:
        """Prefix dataset keys (on by default)."""
        typecheck(use_prefix, "use_prefix", bool)
        self._keys.use_dataset_prefix = use_prefix

    @api
    def use_list_ensemble_prefix(self, use_prefix: bool) -> None:
        """Prefix aggregation list keys (on by default)."""
        typecheck(use_prefix, "use_prefix", bool)
        self._keys.use_list_prefix = use_prefix

    @api
    def use_model_ensemble_prefix(self, use_prefix: bool) -> None:
        """Prefix model and script keys (off by default)."""
        typecheck(use_prefix, "use_prefix", bool)
        self._keys.use_model_prefix = use_prefix

    # -- database nodes ---------------------------------------------------------------------
    @api
    def is_cluster(self) -> bool:
        """Whether the database is a cluster."""
        return self._server.is_cluster

    def _node(self, address: str) -> Address:
        typecheck(address, "address", str)
        try:
            node = Address.parse(address)
        except ValueError as exc:
            raise RedisRuntimeError(str(exc)) from None
        if node not in self._server.nodes:
            known = ", ".join(str(n) for n in self._server.nodes)
            raise RedisRuntimeError(
                f"The address {address} is not a node of this database (nodes: {known})"
            )
        return node

    def _on_nodes(self, addresses: list[str], *command: str) -> list[t.Any]:
        nodes = [self._node(address) for address in addresses]
        return [self._server.execute_at(node, *command) for node in nodes]

    @api
    def get_db_node_info(self, addresses: list[str]) -> list[dict[str, t.Any]]:
        """INFO EVERYTHING of each node, as ``{section: {field: value}}``."""
        typecheck(addresses, "addresses", list)
        replies = self._on_nodes(addresses, "INFO", "EVERYTHING")
        return [_parse_info(bytes(reply).decode(), sections=True) for reply in replies]

    @api
    def get_db_cluster_info(self, addresses: list[str]) -> list[dict[str, t.Any]]:
        """CLUSTER INFO of each node, as ``{field: value}``.

        :raises RedisRuntimeError: the database is not a cluster
        """
        typecheck(addresses, "addresses", list)
        if not self._server.is_cluster:
            raise RedisRuntimeError("Cannot run on non-cluster environment")
        replies = self._on_nodes(addresses, "CLUSTER", "INFO")
        return [_parse_info(bytes(reply).decode(), sections=False) for reply in replies]

    @api
    def flush_db(self, addresses: list[str]) -> None:
        """Delete every key on each node."""
        typecheck(addresses, "addresses", list)
        self._on_nodes(addresses, "FLUSHDB")

    @api
    def save(self, addresses: list[str]) -> None:
        """Write a snapshot (SAVE) on each node."""
        typecheck(addresses, "addresses", list)
        self._on_nodes(addresses, "SAVE")

    @api
    def config_get(self, expression: str, address: str) -> dict[str, str]:
        """The server settings matching ``expression`` (a glob) on node ``address``."""
        typecheck(expression, "expression", str)
        reply = self._server.execute_at(self._node(address), "CONFIG", "GET", expression)
        text = [bytes(item).decode() for item in t.cast(list[bytes], reply)]
        return dict(zip(text[::2], text[1::2], strict=True))

    @api
    def config_set(self, config_param: str, value: str, address: str) -> None:
        """Change a server setting on node ``address``."""
        typecheck(config_param, "config_param", str)
        typecheck(value, "value", str)
        self._server.execute_at(self._node(address), "CONFIG", "SET", config_param, value)


__all__ = ["Client"]
