"""DatasetConverter: xarray DataArrays from Datasets, described by metadata fields that
SmartRedis 0.6.1 names (so either client reads what the other wrote).

For each data variable ``<n>`` (a tensor of the dataset) the description is: ``<n>`` in the
string field ``_xarray_data_names``, and the string fields ``_xarray_<n>_dim_names``,
``_xarray_<n>_coord_names`` and ``_xarray_<n>_attr_names``, each one comma-joined list (or
``null`` when not given). Dimension and attribute names name further metadata fields, which
hold the dimension's name and the attribute's value; coordinate names name other data
variables, which become the coordinates of ``<n>``. xarray is an optional dependency (the
``xarray`` extra), needed only by :meth:`DatasetConverter.transform_to_xarray`.
"""

from __future__ import annotations

import typing as t

from smartredis.dataset import Dataset
from smartredis.error import RedisRuntimeError
from smartredis.util import typecheck

if t.TYPE_CHECKING:
    import xarray as xr

__all__ = ["DatasetConverter"]

DATA_NAMES = "_xarray_data_names"
"""The string field listing the dataset's data variables."""
_NULL = "null"
"""The value of a description field whose names were not given."""


def _description_field(name: str, kind: str) -> str:
    """The field holding the ``kind`` (dim, coord, attr) names of data variable ``name``."""
    return f"_xarray_{name}_{kind}_names"


def _string_list(names: str | list[str], what: str, item: str) -> list[str]:
    """A name or a list of names as a list; TypeError for anything else."""
    if isinstance(names, str):
        names = [names]
    typecheck(names, what, list)
    for name in names:
        typecheck(name, item, str)
    return names


def _xarray() -> t.Any:
    """The xarray module; RedisRuntimeError (saying how to install it) without it."""
    try:
        import xarray
    except ImportError as exc:
        raise RedisRuntimeError(
            "Optional package xarray must be installed; "
            "Consider running `pip install smartsim-py[xarray]`"
        ) from exc
    return xarray


class DatasetConverter:
    """Describe a Dataset's tensors as xarray variables, and build DataArrays from them."""

    @staticmethod
    def add_metadata_for_xarray(
        dataset: Dataset,
        data_names: str | list[str],
        dim_names: str | list[str],
        coord_names: str | list[str] | None = None,
        attr_names: str | list[str] | None = None,
    ) -> None:
        """Record in ``dataset`` that each of ``data_names`` is an xarray variable with these
        dimension, coordinate and attribute fields (see the module doc).

        :raises TypeError: not a Dataset, or names that are not a str or a list of str
        """
        typecheck(dataset, "dataset", Dataset)
        data = _string_list(data_names, "data_names", "data_name")
        described = {
            "dim": _string_list(dim_names, "dim_names", "dim_name"),
            "coord": _string_list(coord_names, "coord_names", "coord_name")
            if coord_names is not None
            else None,
            "attr": _string_list(attr_names, "attr_names", "attr_name")
            if attr_names is not None
            else None,
        }
        for name in data:
            dataset.add_meta_string(DATA_NAMES, name)
            for kind, names in described.items():
                value = _NULL if names is None else ",".join(names)
                dataset.add_meta_string(_description_field(name, kind), value)

    @staticmethod
    def transform_to_xarray(dataset: Dataset) -> dict[str, xr.DataArray]:
        """One DataArray per described data variable that is no other's coordinate, keyed by
        its name, with its dimensions, coordinates and attributes.

        :raises RedisRuntimeError: xarray is not installed
        :raises TypeError: not a Dataset
        :raises RedisKeyError: a described field or tensor is missing
        """
        xarray = _xarray()
        typecheck(dataset, "dataset", Dataset)
        variables = dataset.get_meta_strings(DATA_NAMES)

        def listed(name: str, kind: str) -> list[str]:
            value = dataset.get_meta_strings(_description_field(name, kind))[0]
            return [] if value in ("", _NULL) else value.split(",")

        def dims(name: str) -> list[str]:
            return [dataset.get_meta_strings(field)[0] for field in listed(name, "dim")]

        def attrs(name: str) -> dict[str, str]:
            return {field: dataset.get_meta_strings(field)[0] for field in listed(name, "attr")}

        coords_of = {
            name: [coord for coord in listed(name, "coord") if coord in variables]
            for name in variables
        }
        coordinates = {coord for coords in coords_of.values() for coord in coords}
        arrays: dict[str, xr.DataArray] = {}
        for name in variables:
            if name in coordinates:
                continue
            coords = {c: (dims(c), dataset.get_tensor(c), attrs(c)) for c in coords_of[name]}
            arrays[name] = xarray.DataArray(
                name=name,
                data=dataset.get_tensor(name),
                coords=coords or None,
                dims=dims(name),
                attrs=attrs(name),
            )
        return arrays
