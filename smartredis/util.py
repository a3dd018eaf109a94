"""Helpers that SmartRedis 0.6.1 exposes as ``smartredis.util`` and that scripts import.

``typecheck`` and ``exception_handler`` are the ones the client itself uses (the latter is
the decorator of every public method); ``Dtypes`` names numpy types as SmartRedis does.
"""

from __future__ import annotations

import typing as t

import numpy as np

from smartredis._metadata import metadata_type_name
from smartredis._util import api, typecheck
from smartredis.wire import tensor as tensor_format

__all__ = ["Dtypes", "exception_handler", "init_default", "typecheck"]

exception_handler = api
"""Decorator of an API method: errors it raises become smartredis errors naming the method."""

_FROM_STRING: dict[str, type] = {
    "DOUBLE": np.double,
    # SmartRedis 0.6.1 maps FLOAT to np.float64 here (and so reports float32 tensors and
    # metadata as np.float64); kept, since scripts that call this see that type.
    "FLOAT": np.float64,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "STRING": str,
}


class Dtypes:
    """SmartRedis's names of tensor and metadata types, from and to numpy."""

    @staticmethod
    def tensor_from_numpy(array: np.ndarray) -> str:
        """The tensor type name (DOUBLE, FLOAT, INT8...) of an array.

        :raises TypeError: SmartRedis stores no tensor of that dtype
        """
        return tensor_format.TYPE_NAMES[tensor_format.dtype_code(array.dtype)]

    @staticmethod
    def metadata_from_numpy(array: np.ndarray) -> str:
        """The metadata type name (DOUBLE, FLOAT, INT32, INT64, UINT32, UINT64) of an array.

        :raises TypeError: SmartRedis stores no metadata of that dtype
        """
        return metadata_type_name(array.dtype)

    @staticmethod
    def from_string(type_name: str) -> type:
        """The Python type of a SmartRedis type name (as SmartRedis maps it).

        :raises TypeError: not a SmartRedis type name
        """
        if type_name in _FROM_STRING:
            return _FROM_STRING[type_name]
        raise TypeError(f"Unrecognized type name {type_name}")


def init_default(default: t.Any, init_value: t.Any, expected_type: t.Any | None = None) -> t.Any:
    """``init_value``, or ``default`` when it is None (a mutable default made per call).

    :raises TypeError: ``init_value`` is not an ``expected_type`` (when one is given)
    """
    if init_value is None:
        return default
    if expected_type is not None and not isinstance(init_value, expected_type):
        raise TypeError(f"Argument was of type {type(init_value)}, not {expected_type}")
    return init_value
