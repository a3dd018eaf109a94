"""TensorStore: tensors in the database - one string each, or parts past the 512 MiB limit.

Writes send the header and the array's own memory (no joined copy); reads stream each part
straight into the destination array. Writing or removing a tensor also removes parts that a
bigger tensor of the same key left behind, so an overwrite never leaves stale data.
"""

from __future__ import annotations

import typing as t

import numpy as np

from smartredis.error import RedisKeyError, _MissingKeyRuntimeError
from smartredis.wire import tensor as tensor_format
from smartredis.wire.protocol import Arg, Reply, ReplyError
from smartredis.wire.router import Command, Router
from smartredis.wire.slots import hash_slot

_HEAD = ("GETRANGE", 0, tensor_format.FIXED_SIZE - 1)
TensorKey = str | bytes
"""A tensor's key: ``bytes`` where it carries a binary hash tag (a cluster shard prefix)."""


def _text(key: TensorKey) -> str:
    return key.decode(errors="replace") if isinstance(key, bytes) else key


def head_command(key: TensorKey) -> Command:
    """Reads the fixed header of the tensor at ``key`` (empty if there is none)."""
    return (_HEAD[0], key, _HEAD[1], _HEAD[2])


def raise_errors(replies: t.Sequence[Reply], commands: t.Sequence[Command]) -> None:
    """Raise the first error reply of a pipeline (naming its command and key).

    Header reads are advisory: on a key of another type they fail, and the write that follows
    them replaces the value anyway.
    """
    for reply, command in zip(replies, commands, strict=True):
        if isinstance(reply, ReplyError) and command[0] != _HEAD[0]:
            key = command[1] if len(command) > 1 else ""
            reply.command = str(command[0])
            reply.key = _text(key) if isinstance(key, (str, bytes)) else str(key)
            raise reply


class TensorStore:
    """Tensor reads and writes on one database."""

    def __init__(self, server: Router) -> None:
        self._server = server

    # -- writing --------------------------------------------------------------------------------
    def write_commands(
        self, key: str, array: np.ndarray, code: int
    ) -> tuple[list[Command], list[tuple[TensorKey, Command]], int]:
        """(commands for ``key``'s slot, earlier writes of parts >= 1, number of parts).

        The slot commands are a header read (for :meth:`drop_stale`) and the SET of part 0.
        """
        return self.value_commands(key, tensor_format.encode(array, code))

    def value_commands(
        self, key: TensorKey, values: t.Sequence[Arg]
    ) -> tuple[list[Command], list[tuple[TensorKey, Command]], int]:
        """:meth:`write_commands` for a tensor's stored strings, ``values`` (part 0 first)."""
        parts: list[tuple[TensorKey, Command]] = [
            (tensor_format.part_key(key, i), ("SET", tensor_format.part_key(key, i), value))
            for i, value in enumerate(values[1:], start=1)
        ]
        return [head_command(key), ("SET", key, values[0])], parts, len(values)

    def write_parts(self, parts: list[tuple[TensorKey, Command]]) -> None:
        """Store parts >= 1 (before part 0, so a reader never sees a header without parts)."""
        for key, command in parts:
            self._server.execute(key, *command)

    def drop_stale(self, key: TensorKey, old_head: Reply, nparts: int) -> None:
        """Remove parts an earlier, bigger tensor at ``key`` left behind (``old_head``: its
        header as read before the write)."""
        old = tensor_format.stored_nparts(
            old_head if isinstance(old_head, (bytes, bytearray)) else None
        )
        self._drop_parts(key, nparts, old)

    def put(self, key: str, array: np.ndarray, code: int) -> None:
        """Store ``array`` (C-contiguous, wire dtype) at ``key``."""
        self.put_values(key, tensor_format.encode(array, code))

    def put_values(self, key: TensorKey, values: t.Sequence[Arg]) -> None:
        """Store a tensor's strings (as :meth:`get_values` read them) at ``key``."""
        commands, parts, nparts = self.value_commands(key, values)
        self.write_parts(parts)
        replies = self._server.pipeline(key, commands)
        raise_errors(replies, commands)
        self.drop_stale(key, replies[0], nparts)

    # -- reading --------------------------------------------------------------------------------
    def get(self, key: str, name: str, target: np.ndarray | None = None) -> np.ndarray:
        """The tensor at ``key``, streamed into a new array or into ``target``.

        :raises RedisKeyError: nothing is stored at ``key``
        :raises TensorFormatError: the value is not a tensor, or does not fit ``target``
        """
        sink = tensor_format.StreamInto(key, target)
        header = self._server.execute_streamed(key, ("GET", key), sink.first)
        if header is None:
            raise RedisKeyError(f"The tensor {name!r} does not exist (key {key!r})", key=key)
        assert isinstance(header, tensor_format.Header)
        for index in range(1, header.nparts):
            part = tensor_format.part_key(key, index)
            if self._server.execute_streamed(part, ("GET", part), sink.part(index)) is None:
                raise tensor_format.TensorFormatError(
                    f"The tensor at key {key!r} lost part {index}"
                )
        return sink.result()

    def get_values(self, key: TensorKey, name: str) -> list[bytes | bytearray]:
        """The strings the tensor at ``key`` is stored in, part 0 first (to copy it as is).

        :raises RedisKeyError: no tensor at ``key`` (also a RedisRuntimeError)
        """
        value = self._server.execute(key, "GET", key)
        if not isinstance(value, (bytes, bytearray)):
            raise _MissingKeyRuntimeError(
                f"The tensor {name!r} does not exist (key {_text(key)!r})", key=_text(key)
            )
        values = [value]
        for index in range(1, tensor_format.stored_nparts(value)):
            part = tensor_format.part_key(key, index)
            data = self._server.execute(part, "GET", part)
            if not isinstance(data, (bytes, bytearray)):
                raise tensor_format.TensorFormatError(
                    f"The tensor at key {_text(key)!r} lost part {index}"
                )
            values.append(data)
        return values

    def from_value(self, key: str, value: Reply) -> np.ndarray:
        """The tensor whose part 0 is ``value`` (fetched already), reading any further parts."""
        if not isinstance(value, (bytes, bytearray)):
            raise tensor_format.TensorFormatError(f"The value at key {key!r} is not a tensor")
        header, part0 = tensor_format.from_value(value, key)
        if header.nparts == 1:
            return part0.view(header.dtype).reshape(header.shape)
        parts: list[np.ndarray | bytes | bytearray] = [part0]
        for index in range(1, header.nparts):
            part = tensor_format.part_key(key, index)
            data = self._server.execute(part, "GET", part)
            if not isinstance(data, (bytes, bytearray)):
                raise tensor_format.TensorFormatError(
                    f"The tensor at key {key!r} lost part {index}"
                )
            tensor_format.check_part(header, index, len(data), key)
            parts.append(data)
        return tensor_format.assemble(header, parts)

    def stored_parts(self, key: str) -> int:
        """How many strings the tensor at ``key`` spans (0: none there)."""
        head = self._server.execute(key, *head_command(key))
        return tensor_format.stored_nparts(head if isinstance(head, (bytes, bytearray)) else None)

    def piece_keys(self, key: TensorKey, nparts: int) -> list[TensorKey]:
        """Every key of a tensor of ``nparts`` parts, part 0 last."""
        return [tensor_format.part_key(key, i) for i in range(1, nparts)] + [key]

    # -- removing, copying, moving --------------------------------------------------------------
    def delete(self, key: str) -> None:
        """Remove the tensor at ``key`` with all its parts (nothing if there is none)."""
        commands = [head_command(key), ("UNLINK", key)]
        replies = self._server.pipeline(key, commands)
        raise_errors(replies, commands)
        self.drop_stale(key, replies[0], 1)

    def _same_slot(self, first: TensorKey, second: TensorKey) -> bool:
        return not self._server.is_cluster or hash_slot(first) == hash_slot(second)

    def copy_key(self, src: TensorKey, dest: TensorKey) -> None:
        """Copy one string (server side when both keys share a slot)."""
        if self._same_slot(src, dest):
            self._server.execute(src, "COPY", src, dest, "REPLACE")
        else:
            value = self._server.execute(src, "GET", src)
            self._server.execute(dest, "SET", dest, value)  # type: ignore[arg-type]

    def _check_source(self, src: str, name: str) -> int:
        """The parts of the tensor at ``src``; an error says what is there if it is not one.

        :raises RedisKeyError: nothing at ``src`` (also a RedisRuntimeError)
        :raises TensorFormatError: a value that is not a tensor
        """
        commands = [head_command(src), ("TYPE", src)]
        head, kind = self._server.pipeline(src, commands)
        kind = t.cast(str, kind)  # TYPE answers with a status reply
        nparts = tensor_format.stored_nparts(head if isinstance(head, (bytes, bytearray)) else None)
        if nparts:
            return nparts
        if kind == "none":
            raise _MissingKeyRuntimeError(
                f"The tensor {name!r} does not exist (key {src!r})", key=src
            )
        what = "a string that is not a tensor" if kind == "string" else f"a {kind}, not a tensor"
        raise tensor_format.TensorFormatError(f"The value of {name!r} (key {src!r}) is {what}")

    def copy(self, src: str, dest: str, name: str) -> None:
        """Copy the tensor at ``src`` to ``dest``, replacing what is there.

        :raises RedisKeyError: no tensor at ``src`` (also a RedisRuntimeError)
        """
        self._transfer(src, dest, name, self.copy_key)

    def rename(self, src: str, dest: str, name: str) -> None:
        """Move the tensor at ``src`` to ``dest``, replacing what is there.

        :raises RedisKeyError: no tensor at ``src`` (also a RedisRuntimeError)
        """
        self._transfer(src, dest, name, self._move_key)

    def _move_key(self, src: TensorKey, dest: TensorKey) -> None:
        """Move one stored string: RENAME within a slot, else copy and unlink."""
        if self._same_slot(src, dest):
            # not repeatable: run twice, it would fail on the missing source
            self._server.execute(src, "RENAME", src, dest, repeatable=False)
        else:
            self.copy_key(src, dest)
            self._server.execute(src, "UNLINK", src)

    def _transfer(
        self,
        src: str,
        dest: str,
        name: str,
        move: t.Callable[[TensorKey, TensorKey], None],
    ) -> None:
        """Apply ``move`` to each stored piece of the tensor at ``src`` and its ``dest``
        counterpart, then drop the parts an older, longer value at ``dest`` had."""
        nparts = self._check_source(src, name)
        if src == dest:
            return
        old = self.stored_parts(dest)
        pieces = zip(self.piece_keys(src, nparts), self.piece_keys(dest, nparts), strict=True)
        for piece_src, piece_dest in pieces:
            move(piece_src, piece_dest)
        self._drop_parts(dest, nparts, old)

    def _drop_parts(self, key: TensorKey, keep: int, old: int) -> None:
        for index in range(max(keep, 1), old):
            part = tensor_format.part_key(key, index)
            self._server.execute(part, "UNLINK", part)
