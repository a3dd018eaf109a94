"""ModelStore: models and scripts stored, read, deleted and run with RedisAI's ``AI.*``
commands, at the keys where SmartRedis 0.6.1 keeps them, so either client runs what the other
stored.

Standalone, a model or script lives at its key. In a cluster there is one copy per shard range,
at ``{P}.<key>`` (:mod:`smartredis.wire.inference`); reads use the lowest range's copy, deletes
remove every copy, and a run uses the copy of the range that holds the first input, with the
inputs and outputs copied through ``{P}.<tensor>.<call>.TMP`` keys in that copy's slot (a
name per run, where SmartRedis uses ``{P}.<tensor>.TMP`` and so lets concurrent runs of the
same tensor names delete each other's inputs).
"""

from __future__ import annotations

import typing as t
import uuid
from dataclasses import dataclass

from smartredis.error import RedisRuntimeError
from smartredis.wire import inference
from smartredis.wire.cluster import ClusterRouter
from smartredis.wire.connection import Address
from smartredis.wire.protocol import Arg, ReplyError
from smartredis.wire.router import Router
from smartredis.wire.slots import hash_slot
from smartredis.wire.store import TensorKey, TensorStore, raise_errors

R = t.TypeVar("R")
RunCommand = t.Callable[[TensorKey, t.Sequence[TensorKey], t.Sequence[TensorKey]], list[Arg]]
"""Builds the run command from the model or script key and the input and output keys."""


@dataclass(frozen=True)
class Shard:
    """One CLUSTER SLOTS range: its slots, its primary and the prefix of its copies."""

    first: int
    last: int
    node: Address
    prefix: bytes

    def holds(self, slot: int) -> bool:
        """Whether ``slot`` is in this range."""
        return self.first <= slot <= self.last


def _checked(call: t.Callable[..., R], *args: t.Any) -> R:
    """``call(*args)``; its ValueError (a reply of an unexpected shape, a bad setting) becomes
    a RedisRuntimeError, as SmartRedis reports them."""
    try:
        return call(*args)
    except ValueError as exc:
        raise RedisRuntimeError(str(exc)) from None


class ModelStore:
    """Model and script operations on one database (standalone or cluster)."""

    def __init__(self, server: Router, tensors: TensorStore) -> None:
        self._server = server
        self._tensors = tensors
        self._chunk_size: int | None = None
        """The server's model chunk size, asked once (or as set by set_chunk_size)."""

    # -- where copies live ----------------------------------------------------------------------
    def _shards(self) -> list[Shard]:
        """The cluster's ranges by first slot (empty for a standalone database)."""
        if not isinstance(self._server, ClusterRouter):
            return []
        return [
            Shard(first, last, node, inference.shard_prefix(first))
            for first, last, node in self._server.slot_ranges
        ]

    def _copies(self, key: str) -> list[TensorKey]:
        """Every key the model or script ``key`` is stored at, lowest range first."""
        shards = self._shards()
        return [inference.shard_key(s.prefix, key) for s in shards] if shards else [key]

    def _first_copy(self, key: str) -> TensorKey:
        """The copy that reads use: the lowest range's (or the key itself, standalone)."""
        return self._copies(key)[0]

    # -- storing --------------------------------------------------------------------------------
    def chunk_size(self) -> int:
        """The size of the pieces a model is sent in: the server's, asked once."""
        if self._chunk_size is None:
            reply = self._server.execute(None, *inference.chunk_size_get_command())
            self._chunk_size = _checked(inference.chunk_size_from_reply, reply)
        return self._chunk_size

    def set_chunk_size(self, chunk_size: int) -> None:
        """Set the model chunk size on every node (it also chunks their AI.MODELGET replies)."""
        for node in self._server.nodes:
            self._server.execute_at(node, *inference.chunk_size_set_command(chunk_size))
        self._chunk_size = chunk_size

    def set_model(
        self, key: str, model: bytes, backend: str, device: str, options: dict[str, t.Any]
    ) -> None:
        """Store a model at ``key`` (every shard copy); ``options`` are the keyword arguments
        of :func:`~smartredis.wire.inference.model_store_command`."""
        chunk_size = self.chunk_size()
        for copy in self._copies(key):
            command = inference.model_store_command(
                copy, backend, device, model, chunk_size, **options
            )
            self._server.execute(copy, *command)

    def set_script(self, key: str, source: str, device: str) -> None:
        """Store TorchScript source at ``key`` (every shard copy)."""
        for copy in self._copies(key):
            self._server.execute(copy, *inference.script_set_command(copy, device, source))

    # -- reading and removing -------------------------------------------------------------------
    def get_model(self, key: str) -> bytes:
        """The bytes of the model at ``key``."""
        copy = self._first_copy(key)
        reply = self._server.execute(copy, *inference.model_get_command(copy))
        return _checked(inference.model_from_reply, reply)

    def get_script(self, key: str) -> str:
        """The source of the script at ``key``."""
        copy = self._first_copy(key)
        reply = self._server.execute(copy, *inference.script_get_command(copy))
        return _checked(inference.script_from_reply, reply)

    def exists(self, key: str) -> bool:
        """Whether anything is stored at the model or script key ``key`` (as SmartRedis)."""
        copy = self._first_copy(key)
        return bool(self._server.execute(copy, "EXISTS", copy))

    def delete(self, key: str, command: t.Callable[[TensorKey], tuple[Arg, ...]]) -> None:
        """Remove every copy with ``command(copy)`` (AI.MODELDEL or AI.SCRIPTDEL); the first
        error, if any, is raised once all copies were tried."""
        failure: ReplyError | None = None
        for copy in self._copies(key):
            try:
                # not repeatable: run twice, it would fail on the deleted key
                self._server.execute(copy, *command(copy), repeatable=False)
            except ReplyError as err:
                failure = failure or err
        if failure is not None:
            raise failure

    # -- running --------------------------------------------------------------------------------
    def run_model(self, key: str, inputs: list[str], outputs: list[str]) -> None:
        """Run the model at ``key`` on the tensors ``inputs``; results go to ``outputs``."""
        timeout = _checked(inference.model_timeout)
        self._run(
            key,
            inputs,
            outputs,
            lambda k, i, o: inference.model_execute_command(k, i, o, timeout),
        )

    def run_script(self, key: str, function: str, inputs: list[str], outputs: list[str]) -> None:
        """Call ``function`` of the script at ``key`` on ``inputs``; results go to ``outputs``."""
        self._run(
            key,
            inputs,
            outputs,
            lambda k, i, o: inference.script_run_command(k, function, i, o),
        )

    def _run(self, key: str, inputs: list[str], outputs: list[str], build: RunCommand) -> None:
        """Run at ``key`` standalone; in a cluster on the copy of the first input's range."""
        shards = self._shards()
        if not shards:
            self._server.execute(key, *build(key, inputs, outputs))
            return
        anchor = next(iter(inputs or outputs), None)
        slot = hash_slot(anchor) if anchor is not None else shards[0].first
        shard = next((s for s in shards if s.holds(slot)), shards[0])
        self._run_on_shard(shard.prefix, key, inputs, outputs, build)

    def _run_on_shard(
        self, prefix: bytes, key: str, inputs: list[str], outputs: list[str], build: RunCommand
    ) -> None:
        """Run the ``{prefix}`` copy: inputs copied in, outputs copied out, then one DEL of
        the temporary keys (also when the run fails)."""
        call = uuid.uuid4().hex[:16]
        tmp_in = [inference.tmp_key(prefix, name, call) for name in inputs]
        tmp_out = [inference.tmp_key(prefix, name, call) for name in outputs]
        parts: list[TensorKey] = []
        try:
            for name, tmp in zip(inputs, tmp_in, strict=True):
                values = self._tensors.get_values(name, name)
                parts += self._tensors.piece_keys(tmp, len(values))[:-1]
                self._tensors.put_values(tmp, values)
            copy = inference.shard_key(prefix, key)
            self._server.execute(copy, *build(copy, tmp_in, tmp_out))
            for tmp, name in zip(tmp_out, outputs, strict=True):
                values = self._tensors.get_values(tmp, name)
                parts += self._tensors.piece_keys(tmp, len(values))[:-1]
                self._tensors.put_values(name, values)
        finally:
            temporary = [*tmp_out, *tmp_in, *parts]
            if temporary:
                try:
                    self._server.execute(temporary[0], "DEL", *temporary)
                except ReplyError:
                    pass  # as SmartRedis: a failed clean-up does not fail the run

    # -- statistics -----------------------------------------------------------------------------
    def info(self, node: Address, key: str, reset: bool) -> dict[str, str]:
        """AI.INFO of ``key`` on ``node`` (its shard copy in a cluster) as ``{field: text}``;
        with ``reset`` the statistics are zeroed right after being read."""
        shards = self._shards()
        shard = next((s for s in shards if s.node == node), None)
        copy: TensorKey = inference.shard_key(shard.prefix, key) if shard else key
        commands = [inference.info_command(copy)]
        if reset:
            commands.append(inference.info_command(copy, reset=True))
        replies = self._server.pipeline(copy, commands, repeatable=not reset)
        raise_errors(replies, commands)
        return _checked(inference.info_from_reply, replies[0], bool(shards))
