"""smartredis.dataset_utils.DatasetConverter: xarray DataArrays described by SmartRedis's
``_xarray_*`` metadata fields."""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Dataset
from smartredis.dataset_utils import DatasetConverter
from smartredis.error import RedisRuntimeError

xr = pytest.importorskip("xarray")

LON, LAT = np.linspace(0, 360, 6), np.linspace(-90, 90, 3)
WIND = np.random.default_rng(0).random((6, 3))


def _described() -> Dataset:
    """A 2-D variable with two coordinate variables, each with attributes."""
    ds = Dataset("field")
    ds.add_tensor("wind", WIND)
    ds.add_tensor("lon", LON)
    ds.add_tensor("lat", LAT)
    for field, value in {
        "units": "m/s",
        "lon_units": "degrees E",
        "lat_units": "degrees N",
        "dim_x": "x",
        "dim_y": "y",
    }.items():
        ds.add_meta_string(field, value)
    DatasetConverter.add_metadata_for_xarray(
        ds, ["wind"], ["dim_x", "dim_y"], coord_names=["lon", "lat"], attr_names="units"
    )
    DatasetConverter.add_metadata_for_xarray(ds, "lon", "dim_x", attr_names=["lon_units"])
    DatasetConverter.add_metadata_for_xarray(ds, "lat", "dim_y", attr_names=["lat_units"])
    return ds


def test_metadata_fields_are_smartredis_ones():
    ds = _described()
    assert ds.get_meta_strings("_xarray_data_names") == ["wind", "lon", "lat"]
    assert ds.get_meta_strings("_xarray_wind_dim_names") == ["dim_x,dim_y"]
    assert ds.get_meta_strings("_xarray_wind_coord_names") == ["lon,lat"]
    assert ds.get_meta_strings("_xarray_wind_attr_names") == ["units"]
    assert ds.get_meta_strings("_xarray_lon_coord_names") == ["null"]


def test_transform_builds_the_data_array_with_coordinates_and_attributes():
    arrays = DatasetConverter.transform_to_xarray(_described())
    assert list(arrays) == ["wind"]  # coordinates are not returned as variables
    expected = xr.DataArray(
        name="wind",
        data=WIND,
        dims=["x", "y"],
        coords={
            "lon": ("x", LON, {"lon_units": "degrees E"}),
            "lat": ("y", LAT, {"lat_units": "degrees N"}),
        },
        attrs={"units": "m/s"},
    )
    assert arrays["wind"].identical(expected)


def test_a_variable_without_coordinates_or_attributes():
    ds = Dataset("bare")
    ds.add_tensor("v", np.arange(4.0))
    ds.add_meta_string("dim", "t")
    DatasetConverter.add_metadata_for_xarray(ds, "v", "dim")
    assert DatasetConverter.transform_to_xarray(ds)["v"].identical(
        xr.DataArray(name="v", data=np.arange(4.0), dims=["t"])
    )


def test_argument_types_are_checked():
    ds = Dataset("d")
    with pytest.raises(TypeError, match="data_names"):
        DatasetConverter.add_metadata_for_xarray(ds, {"v"}, ["dim"])
    with pytest.raises(TypeError, match="attr_name"):
        DatasetConverter.add_metadata_for_xarray(ds, "v", "dim", attr_names=[4])
    with pytest.raises(TypeError, match="dataset"):
        DatasetConverter.add_metadata_for_xarray("d", "v", "dim")
    with pytest.raises(TypeError, match="dataset"):
        DatasetConverter.transform_to_xarray("d")


def test_without_xarray_the_transform_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_xarray(name, *args, **kwargs):
        if name == "xarray":
            raise ImportError("No module named 'xarray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xarray)
    with pytest.raises(RedisRuntimeError, match=r"pip install smartsim-py\[xarray\]"):
        DatasetConverter.transform_to_xarray(_described())


def test_exported_by_the_package_as_in_smartredis():
    import smartredis

    assert (
        smartredis.DatasetConverter is DatasetConverter and "DatasetConverter" in smartredis.__all__
    )
