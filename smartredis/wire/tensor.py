"""The stored tensor format: a 16-byte header, the dims, then the raw C-order bytes.

See docs/tensor-format.md for the byte layout. A tensor is one Redis string unless its bytes
exceed :data:`PART_BYTES` (just under the server's 512 MiB string limit): then the first
string holds the header and the first part, and part ``i`` (i >= 1) is the string at
``<key>#part<i>``. Readers allocate the array from the header and stream every part into it.
"""

from __future__ import annotations

import re
import struct
import typing as t
from dataclasses import dataclass

import numpy as np

from smartredis.wire.protocol import Chunks, Reader

MAGIC = b"SRTN"
VERSION = 1
_FIXED = struct.Struct("<4sBBBxII")  # magic, version, dtype code, rank, pad, nparts, reserved
FIXED_SIZE = _FIXED.size  # 16
MAX_RANK = 255
PART_BYTES = (512 << 20) - (1 << 20)
"""Payload bytes per Redis string; the header rides in front of part 0."""

# Codes are SmartRedis's SRTensorType values; the wire is little-endian.
_WIRE_DTYPES: dict[int, np.dtype[t.Any]] = {
    1: np.dtype("<f8"),
    2: np.dtype("<f4"),
    3: np.dtype("i1"),
    4: np.dtype("<i2"),
    5: np.dtype("<i4"),
    6: np.dtype("<i8"),
    7: np.dtype("u1"),
    8: np.dtype("<u2"),
}
_CODES = {dtype: code for code, dtype in _WIRE_DTYPES.items()}
TYPE_NAMES = {
    1: "DOUBLE",
    2: "FLOAT",
    3: "INT8",
    4: "INT16",
    5: "INT32",
    6: "INT64",
    7: "UINT8",
    8: "UINT16",
}


def numpy_type(code: int) -> type:
    """The numpy scalar type of a wire code (np.float32 for FLOAT...)."""
    return _WIRE_DTYPES[code].type


class TensorFormatError(ValueError):
    """A stored value is not a tensor in this format (or is damaged)."""


def dtype_code(dtype: np.dtype) -> int:
    """The wire code of a numpy dtype (any byte order).

    :raises TypeError: the dtype is not one SmartRedis stores
    """
    code = _CODES.get(dtype)
    if code is None and dtype.byteorder == ">":
        code = _CODES.get(dtype.newbyteorder("<"))
    if code is None:
        raise TypeError(f"Incompatible tensor type provided {dtype}")
    return code


def prepare(data: np.ndarray) -> tuple[np.ndarray, int]:
    """``data`` as a C-contiguous little-endian array (copied only when it is not) and its code.

    :raises TypeError: unsupported dtype
    :raises ValueError: more than 255 dimensions
    """
    code = dtype_code(data.dtype)
    wire = _WIRE_DTYPES[code]
    if data.dtype != wire:
        data = data.astype(wire)
    elif not data.flags.c_contiguous:
        data = data.copy(order="C")  # Fortran-ordered and strided inputs are stored C-ordered
    if data.ndim > MAX_RANK:
        raise ValueError(f"A tensor may have at most {MAX_RANK} dimensions, not {data.ndim}")
    return data, code


def byte_view(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array as a flat ``'B'`` memoryview (no copy)."""
    return array.reshape(-1).view(np.uint8).data


def nparts_for(nbytes: int) -> int:
    """How many strings a payload of ``nbytes`` takes."""
    return max(1, -(-nbytes // PART_BYTES))


@t.overload
def part_key(key: str, index: int) -> str: ...
@t.overload
def part_key(key: bytes, index: int) -> bytes: ...
def part_key(key: str | bytes, index: int) -> str | bytes:
    """The key of part ``index`` (>= 1) of the tensor at ``key``; keeps its hash tag."""
    if isinstance(key, bytes):
        return key + b"#part%d" % index
    return f"{key}#part{index}"


_PART_SUFFIX = re.compile(r"#part[0-9]+\Z")


def is_part_key(key: str) -> bool:
    """Whether ``key`` is shaped like a part key (ends in ``#part<digits>``): such names are
    reserved, as they would alias a part of the tensor at the key without the suffix."""
    return _PART_SUFFIX.search(key) is not None


def encode_header(code: int, shape: tuple[int, ...], nparts: int) -> bytes:
    """The header for a tensor of this type, shape and number of parts."""
    return _FIXED.pack(MAGIC, VERSION, code, len(shape), nparts, 0) + struct.pack(
        f"<{len(shape)}Q", *shape
    )


def encode(array: np.ndarray, code: int) -> list[Chunks | memoryview]:
    """The values to store: ``[header + part 0, part 1, ...]``, sharing ``array``'s memory."""
    payload = byte_view(array)
    nparts = nparts_for(payload.nbytes)
    first = Chunks((encode_header(code, array.shape, nparts), payload[:PART_BYTES]))
    return [first] + [payload[i * PART_BYTES : (i + 1) * PART_BYTES] for i in range(1, nparts)]


@dataclass(frozen=True)
class Header:
    """A decoded header: element type, shape, parts and where the payload starts."""

    code: int
    shape: tuple[int, ...]
    nparts: int
    size: int

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the elements."""
        return _WIRE_DTYPES[self.code]

    @property
    def nbytes(self) -> int:
        """Payload bytes over all parts."""
        count = 1
        for dim in self.shape:
            count *= dim
        return count * self.dtype.itemsize

    def part_size(self, index: int) -> int:
        """Payload bytes in part ``index``. A one-part tensor may exceed PART_BYTES: the
        server module stores what a client sent in one piece when the server's limit
        (proto-max-bulk-len) allowed it."""
        if self.nparts == 1:
            return self.nbytes if index == 0 else 0
        return max(0, min(PART_BYTES, self.nbytes - index * PART_BYTES))


def decode_fixed(fixed: bytes | bytearray | memoryview, key: str) -> tuple[int, int, int]:
    """(dtype code, rank, nparts) from the first 16 bytes.

    :raises TensorFormatError: not a tensor of a known version
    """
    if len(fixed) < FIXED_SIZE:
        raise TensorFormatError(f"The value at key {key!r} is not a tensor (too short)")
    magic, version, code, rank, nparts, _ = _FIXED.unpack_from(fixed)
    if magic != MAGIC:
        raise TensorFormatError(f"The value at key {key!r} is not a tensor")
    if version != VERSION or code not in _WIRE_DTYPES or nparts < 1:
        raise TensorFormatError(
            f"The tensor at key {key!r} has an unknown format (version {version}, "
            f"type code {code}, {nparts} parts)"
        )
    return code, rank, nparts


def decode_header(value: bytes | bytearray | memoryview, key: str) -> Header:
    """The header at the start of a stored value.

    :raises TensorFormatError: not a tensor, or truncated
    """
    code, rank, nparts = decode_fixed(value, key)
    size = FIXED_SIZE + 8 * rank
    if len(value) < size:
        raise TensorFormatError(f"The tensor at key {key!r} is truncated")
    shape = struct.unpack_from(f"<{rank}Q", value, FIXED_SIZE)
    return Header(code, shape, nparts, size)


def stored_nparts(prefix: bytes | bytearray | None) -> int:
    """Parts of the tensor whose first bytes are ``prefix`` (0 if there is none / not one)."""
    if not prefix:
        return 0
    try:
        return decode_fixed(prefix, "")[2]
    except TensorFormatError:
        return 0


def check_part(header: Header, index: int, size: int, key: str) -> None:
    """Make sure part ``index`` holds as many bytes as the header says.

    :raises TensorFormatError: it does not
    """
    expected = header.part_size(index)
    if size != expected:
        raise TensorFormatError(
            f"The tensor at key {key!r} is damaged: part {index} has {size} bytes, "
            f"expected {expected}"
        )


def from_value(value: bytes | bytearray, key: str) -> tuple[Header, np.ndarray]:
    """The header and a flat byte array of part 0 of a stored value (no copy)."""
    header = decode_header(value, key)
    check_part(header, 0, len(value) - header.size, key)
    return header, np.frombuffer(value, dtype=np.uint8, offset=header.size)


def array_view(value: bytes | bytearray) -> np.ndarray:
    """The array a one-part stored value holds, without a copy (read-only for ``bytes``).

    :raises TensorFormatError: not a one-part tensor, or its length does not match
    """
    code, rank, nparts = decode_fixed(value, "")
    size = FIXED_SIZE + 8 * rank
    shape = struct.unpack_from(f"<{rank}Q", value, FIXED_SIZE)
    dtype = _WIRE_DTYPES[code]
    count = 1
    for dim in shape:
        count *= dim
    if nparts != 1 or len(value) != size + count * dtype.itemsize:
        raise TensorFormatError("A tensor value is damaged (its length does not match)")
    return np.frombuffer(value, dtype=dtype, count=count, offset=size).reshape(shape)


def assemble(header: Header, parts: list[np.ndarray | bytes | bytearray]) -> np.ndarray:
    """A new writable array from the payload parts of a tensor."""
    out = np.empty(header.shape, dtype=header.dtype)
    flat = out.reshape(-1).view(np.uint8)
    offset = 0
    for part in parts:
        chunk = np.frombuffer(part, dtype=np.uint8) if not isinstance(part, np.ndarray) else part
        flat[offset : offset + chunk.size] = chunk
        offset += chunk.size
    return out


class StreamInto:
    """Streams a stored tensor into an array: the first part via :meth:`first`, then the rest.

    ``target`` is where to write: None (allocate from the header), or a caller's array that
    must match the stored type and number of elements (``unpack_tensor``).
    """

    def __init__(self, key: str, target: np.ndarray | None = None) -> None:
        self.key = key
        self.target = target
        self.header: Header | None = None
        self.array: np.ndarray | None = None
        self._flat: memoryview | None = None

    def _allocate(self, header: Header) -> None:
        target = self.target
        if target is None:
            self.array = np.empty(header.shape, dtype=header.dtype)
        else:
            check_target(target, header, self.key)
            direct = target.flags.c_contiguous and target.dtype == header.dtype
            self.array = target if direct else np.empty(header.shape, dtype=header.dtype)
        self._flat = byte_view(self.array)

    def first(self, reader: Reader, size: int) -> Header:
        """Consume part 0 (with the header) from the reader (see Reader.read_streamed)."""
        fixed = bytearray(min(FIXED_SIZE, size))
        reader.read_into(memoryview(fixed))
        _, rank, _ = decode_fixed(fixed, self.key)
        dims = bytearray(min(8 * rank, size - FIXED_SIZE))
        reader.read_into(memoryview(dims))
        header = decode_header(bytes(fixed) + bytes(dims), self.key)
        check_part(header, 0, size - header.size, self.key)
        self.header = header
        self._allocate(header)
        assert self._flat is not None
        reader.read_into(self._flat[: size - header.size])
        return header

    def part(self, index: int) -> t.Callable[[Reader, int], bool]:
        """A consumer for part ``index`` (>= 1); it returns True once the part is read."""

        def consume(reader: Reader, size: int) -> bool:
            assert self.header is not None and self._flat is not None
            check_part(self.header, index, size, self.key)
            start = index * PART_BYTES
            reader.read_into(self._flat[start : start + size])
            return True

        return consume

    def result(self) -> np.ndarray:
        """The array read; a caller's array that could not be written directly is filled now."""
        assert self.array is not None
        if self.target is not None and self.array is not self.target:
            self.target[...] = self.array.reshape(self.target.shape)
            return self.target
        return self.array


def check_target(target: np.ndarray, header: Header, key: str) -> None:
    """Make sure a caller's array can take the stored tensor.

    :raises TensorFormatError: wrong type, size or shape, or not writable
    """
    if target.dtype.newbyteorder("=") != header.dtype.newbyteorder("="):
        raise TensorFormatError(
            f"The tensor at key {key!r} holds {TYPE_NAMES[header.code]} "
            f"({header.dtype.name}), but the destination array is {target.dtype}"
        )
    count = header.nbytes // header.dtype.itemsize
    if target.size != count or (target.ndim != 1 and tuple(target.shape) != header.shape):
        raise TensorFormatError(
            f"The tensor at key {key!r} has shape {list(header.shape)}; the destination array "
            f"has shape {list(target.shape)} (use that shape, or 1-D with {count} elements)"
        )
    if not target.flags.writeable:
        raise TensorFormatError(f"The destination array for key {key!r} is read-only")
