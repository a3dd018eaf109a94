"""Dataset metadata: typed fields of scalars or strings, and their stored form.

Each field is one entry of the dataset's ``.meta`` hash: the field name, and a value that is
byte for byte what SmartRedis 0.6 stores (its ``MetadataBuffer`` format): one byte, the
SRMetaDataType code (1 DOUBLE ... 7 STRING), then the values - numbers packed back to back
as little-endian IEEE/two's complement of the type's width, with no count (the count is the
remaining length over the width); strings each as a little-endian 8-byte (size_t) byte
length then the UTF-8 bytes, no terminator.
"""

from __future__ import annotations

import struct
import typing as t

import numpy as np

from smartredis.error import RedisKeyError, RedisRuntimeError, _MissingKeyRuntimeError

STRING = 7
_SCALAR_DTYPES: dict[int, np.dtype[t.Any]] = {
    1: np.dtype("<f8"),
    2: np.dtype("<f4"),
    3: np.dtype("<i4"),
    4: np.dtype("<i8"),
    5: np.dtype("<u4"),
    6: np.dtype("<u8"),
}
_SCALAR_CODES = {dtype: code for code, dtype in _SCALAR_DTYPES.items()}
_LENGTH = struct.Struct("<Q")
"""A string's byte length: SmartRedis writes a native size_t (8 bytes, little-endian)."""
TENSOR_NAMES_FIELD = ".tensor_names"
"""The string field listing a dataset's tensors, in the order they were added."""
Values = list[t.Any]
"""A field's values: numpy scalars of the field's type, or str for a string field."""


def scalar_code(value: object) -> tuple[int, np.generic]:
    """The type code and numpy value of a metadata scalar.

    :raises TypeError: not a scalar, or a type SmartRedis does not store
    """
    array = np.asarray(value)
    if array.size > 1:
        raise TypeError("Argument provided is not a scalar")
    code = _SCALAR_CODES.get(array.dtype)
    if code is None:
        raise TypeError(f"Incompatible metadata type provided {array.dtype}")
    return code, array.reshape(-1)[0] if array.size else array.dtype.type(0)


class MetaData:
    """The fields of one dataset, in insertion order."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[int, Values]] = {}

    def add_scalar(self, name: str, value: object) -> None:
        """Append a number to a scalar field, creating it with the value's type.

        :raises RedisRuntimeError: the field exists with another type
        """
        code, scalar = scalar_code(value)
        field = self._fields.setdefault(name, (code, []))
        if field[0] != code:
            raise RedisRuntimeError(
                f"The existing metadata field {name} has a different type "
                f"({self.type_name(name)}) than the value {value!r}"
            )
        field[1].append(scalar)

    def add_string(self, name: str, value: str) -> None:
        """Append a string to a string field, creating it.

        :raises RedisRuntimeError: the field exists and holds numbers
        """
        field = self._fields.setdefault(name, (STRING, []))
        if field[0] != STRING:
            raise RedisRuntimeError(f"The metadata field {name} isn't a string type.")
        field[1].append(value)

    def _field(self, name: str) -> tuple[int, Values]:
        try:
            return self._fields[name]
        except KeyError:
            raise _MissingKeyRuntimeError(f"The metadata field {name} does not exist.") from None

    def scalars(self, name: str) -> np.ndarray:
        """The values of a scalar field, as a 1-D array of its type."""
        code, values = self._field(name)
        if code == STRING:
            raise RedisRuntimeError(
                f"MetaData field {name} is of type string. Use get_meta_strings method."
            )
        return np.array(values, dtype=_SCALAR_DTYPES[code].newbyteorder("="))

    def strings(self, name: str) -> list[str]:
        """The values of a string field."""
        code, values = self._field(name)
        if code != STRING:
            raise RedisRuntimeError(f"The metadata field {name} is not a string field.")
        return list(values)

    def has(self, name: str) -> bool:
        """Whether the field exists."""
        return name in self._fields

    def code(self, name: str) -> int:
        """The SRMetaDataType code of a field.

        :raises RedisKeyError: no such field
        """
        if name not in self._fields:
            raise RedisKeyError(f"The metadata field {name} does not exist.")
        return self._fields[name][0]

    def type_name(self, name: str) -> str:
        """The type of a field as SmartRedis names it (DOUBLE, INT64, STRING...)."""
        return _TYPE_NAMES[self.code(name)]

    def python_type(self, name: str) -> type:
        """The type of a field's values (np.float64, np.int32, ..., str)."""
        code = self.code(name)
        return str if code == STRING else _SCALAR_DTYPES[code].type

    def names(self, skip_internal: bool = True) -> list[str]:
        """Field names, without the internal tensor-names field unless asked."""
        return [n for n in self._fields if not (skip_internal and n == TENSOR_NAMES_FIELD)]

    def encode(self) -> list[tuple[str, bytes]]:
        """Every field as (name, stored value)."""
        return [(name, encode_field(code, values)) for name, (code, values) in self._fields.items()]

    def add_encoded(self, name: str, value: bytes | bytearray) -> None:
        """Add a field read back from the database.

        :raises RedisRuntimeError: the value is not a metadata field
        """
        self._fields[name] = decode_field(name, value)


_TYPE_NAMES = {
    1: "DOUBLE",
    2: "FLOAT",
    3: "INT32",
    4: "INT64",
    5: "UINT32",
    6: "UINT64",
    STRING: "STRING",
}


def metadata_type_name(dtype: np.dtype[t.Any]) -> str:
    """SmartRedis's name (DOUBLE, FLOAT, INT32...) of the metadata type of numpy ``dtype``.

    :raises TypeError: SmartRedis stores no metadata of that type
    """
    code = _SCALAR_CODES.get(dtype)
    if code is None:
        raise TypeError(f"Incompatible metadata type provided {dtype}")
    return _TYPE_NAMES[code]


def encode_field(code: int, values: Values) -> bytes:
    """The stored form of a field."""
    if code == STRING:
        parts = [bytes([STRING])]
        for text in values:
            raw = text.encode()
            parts += [_LENGTH.pack(len(raw)), raw]
        return b"".join(parts)
    return bytes([code]) + np.asarray(values, dtype=_SCALAR_DTYPES[code]).tobytes()


def decode_field(name: str, value: bytes | bytearray) -> tuple[int, Values]:
    """(type code, values) of a stored field.

    :raises RedisRuntimeError: the value is not a metadata field
    """
    code = value[0] if value else 0
    if code in _SCALAR_DTYPES:
        dtype = _SCALAR_DTYPES[code]
        if (len(value) - 1) % dtype.itemsize:
            raise RedisRuntimeError(f"The metadata field {name} is damaged")
        values = np.frombuffer(value, dtype=dtype, offset=1)
        return code, list(values.astype(dtype.newbyteorder("=")))
    if code != STRING:
        raise RedisRuntimeError(f"The metadata field {name} has an unknown type code {code}")
    strings, pos = [], 1
    while pos < len(value):
        if pos + _LENGTH.size > len(value):
            raise RedisRuntimeError(f"The metadata field {name} is damaged")
        (length,) = _LENGTH.unpack_from(value, pos)
        pos += _LENGTH.size
        if pos + length > len(value):
            raise RedisRuntimeError(f"The metadata field {name} is damaged")
        strings.append(bytes(value[pos : pos + length]).decode())
        pos += length
    return STRING, strings
