"""Dataset: named tensors plus typed metadata, stored and fetched together by a Client."""

from __future__ import annotations

import numpy as np

from smartredis._keys import check_not_reserved
from smartredis._metadata import TENSOR_NAMES_FIELD, MetaData
from smartredis._util import api, check_name, typecheck
from smartredis.error import RedisKeyError, RedisRuntimeError
from smartredis.srobject import SRObject
from smartredis.wire import tensor as tensor_format


class Dataset(SRObject):
    """An in-memory dataset; ``Client.put_dataset`` stores it under one hash tag ``{name}``."""

    def __init__(self, name: str) -> None:
        """Create an empty dataset.

        :param name: the dataset's name (not empty)
        :raises TypeError: name is not a str
        :raises ValueError: name is empty
        """
        typecheck(name, "name", str)
        check_name(name, "name")
        super().__init__(name)
        self._name = name
        self._tensors: dict[str, np.ndarray] = {}
        self._codes: dict[str, int] = {}
        self._metadata = MetaData()

    def __str__(self) -> str:
        lines = [f"DataSet ({self._name}):", "Tensors:"]
        for name, array in self._tensors.items():
            lines += [
                f"  {name}:",
                f"    type: {tensor_format.TYPE_NAMES[self._codes[name]]}",
                f"    dimensions: {list(array.shape)}",
                f"    elements: {array.size}",
            ]
        lines.append("Metadata:")
        for name in self._metadata.names():
            lines += [f"  {name}:", f"    type: {self._metadata.type_name(name)}"]
        return "\n".join(lines)

    # SmartRedis's wrapper keeps a dataset's contents in a compiled PyDataset object, which
    # these three hand around. Ours holds its contents itself, so the Dataset plays that
    # object's part: get_data returns the dataset, and the other two take a Dataset (also
    # what our get_dataset and get_datasets_from_list return, where SmartRedis's may return
    # PyDatasets that scripts pass to from_pybind).
    @staticmethod
    def from_pybind(dataset: Dataset) -> Dataset:
        """A new Dataset sharing the contents (name, tensors, metadata) of ``dataset``.

        :raises TypeError: not a Dataset
        """
        typecheck(dataset, "dataset", Dataset)
        new_dataset = Dataset(dataset.get_name())
        new_dataset.set_data(dataset)
        return new_dataset

    @api
    def get_data(self) -> Dataset:
        """The object holding this dataset's contents: the dataset itself."""
        return self

    @api
    def set_data(self, dataset: Dataset) -> None:
        """Share the contents of ``dataset`` (its name too): changes to either show in both.

        :raises TypeError: not a Dataset
        """
        typecheck(dataset, "dataset", Dataset)
        self._lname, self._name = dataset._lname, dataset._name
        self._tensors, self._codes = dataset._tensors, dataset._codes
        self._metadata = dataset._metadata

    @api
    def get_name(self) -> str:
        """The dataset's name."""
        return self._name

    @api
    def add_tensor(self, name: str, data: np.ndarray) -> None:
        """Add a copy of an array (C-ordered) under ``name``.

        :raises TypeError: data is not a numpy array of a supported dtype
        :raises ValueError: name is empty
        :raises RedisRuntimeError: the dataset already has a tensor of that name, or the
            name ends in ``#part<digits>`` (reserved for the parts of large tensors)
        """
        typecheck(name, "name", str)
        typecheck(data, "data", np.ndarray)
        check_name(name, "name")
        check_not_reserved(name, "Tensor name")
        if name in self._tensors:
            raise RedisRuntimeError(f"The tensor {name} already exists in dataset {self._name}")
        array, code = tensor_format.prepare(data)
        self._attach_tensor(name, array.copy() if array is data else array, code)
        self._metadata.add_string(TENSOR_NAMES_FIELD, name)

    def _attach_tensor(self, name: str, array: np.ndarray, code: int) -> None:
        """Hold ``array`` as tensor ``name`` (no copy; the names field is the caller's job)."""
        self._tensors[name] = array
        self._codes[name] = code

    def _tensor(self, name: str) -> np.ndarray:
        typecheck(name, "name", str)
        try:
            return self._tensors[name]
        except KeyError:
            raise RedisKeyError(
                f'The tensor "{name}" does not exist in dataset "{self._name}".'
            ) from None

    @api
    def get_tensor(self, name: str) -> np.ndarray:
        """A copy of tensor ``name``.

        :raises RedisKeyError: no such tensor
        """
        tensor: np.ndarray = self._tensor(name).copy()  # numpy's stubs type copy() as Any
        return tensor

    @api
    def get_tensor_names(self) -> list[str]:
        """Names of the tensors, in the order they were added."""
        return list(self._tensors)

    @api
    def get_tensor_dims(self, name: str) -> list[int]:
        """The dimensions of tensor ``name``.

        :raises RedisKeyError: no such tensor
        """
        return list(self._tensor(name).shape)

    @api
    def get_tensor_type(self, name: str) -> type:
        """The numpy type of tensor ``name`` (np.float32, np.int64, ...).

        :raises RedisKeyError: no such tensor
        """
        self._tensor(name)
        return tensor_format.numpy_type(self._codes[name])

    @api
    def add_meta_scalar(self, name: str, data: int | float) -> None:
        """Append a number to metadata field ``name`` (created with the number's type).

        :raises TypeError: not a scalar of int32/64, uint32/64, float32/64
        :raises RedisRuntimeError: the field holds another type
        """
        typecheck(name, "name", str)
        check_name(name, "name")
        self._metadata.add_scalar(name, data)

    @api
    def add_meta_string(self, name: str, data: str) -> None:
        """Append a string to metadata field ``name``.

        :raises RedisRuntimeError: the field holds numbers
        """
        typecheck(name, "name", str)
        typecheck(data, "data", str)
        check_name(name, "name")
        self._metadata.add_string(name, data)

    @api
    def get_meta_scalars(self, name: str) -> np.ndarray:
        """The numbers in metadata field ``name`` (a 1-D array of the field's type).

        :raises RedisKeyError: no such field (also a RedisRuntimeError, as in SmartRedis)
        """
        typecheck(name, "name", str)
        return self._metadata.scalars(name)

    @api
    def get_meta_strings(self, name: str) -> list[str]:
        """The strings in metadata field ``name``.

        :raises RedisKeyError: no such field (also a RedisRuntimeError, as in SmartRedis)
        """
        typecheck(name, "name", str)
        return self._metadata.strings(name)

    @api
    def get_metadata_field_names(self) -> list[str]:
        """Names of the metadata fields."""
        return self._metadata.names()

    @api
    def get_metadata_field_type(self, name: str) -> type:
        """The type of a metadata field's values (np.float64, np.int64, ..., or str).

        :raises RedisKeyError: no such field
        """
        typecheck(name, "name", str)
        return self._metadata.python_type(name)
