"""smartredis.util: the helpers SmartRedis 0.6.1 exposes there, and the py.typed markers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import smartredis
import smartsim
from smartredis.error import RedisRuntimeError
from smartredis.util import Dtypes, exception_handler, init_default, typecheck


def test_dtypes_name_types_as_smartredis():
    assert Dtypes.tensor_from_numpy(np.zeros(2, dtype=np.float32)) == "FLOAT"
    assert Dtypes.tensor_from_numpy(np.zeros(2, dtype=np.uint16)) == "UINT16"
    with pytest.raises(TypeError, match="Incompatible tensor type provided uint32"):
        Dtypes.tensor_from_numpy(np.zeros(2, dtype=np.uint32))
    assert Dtypes.metadata_from_numpy(np.zeros(1, dtype=np.uint64)) == "UINT64"
    with pytest.raises(TypeError, match="Incompatible metadata type provided int8"):
        Dtypes.metadata_from_numpy(np.zeros(1, dtype=np.int8))
    assert Dtypes.from_string("INT16") is np.int16 and Dtypes.from_string("STRING") is str
    assert Dtypes.from_string("FLOAT") is np.float64  # as SmartRedis 0.6.1 maps it
    with pytest.raises(TypeError, match="Unrecognized type name HALF"):
        Dtypes.from_string("HALF")


def test_init_default_and_typecheck():
    assert init_default([], None) == [] and init_default([], "x", (list, str)) == "x"
    with pytest.raises(TypeError, match="Argument was of type <class 'int'>"):
        init_default([], 3, (list, str))
    with pytest.raises(
        TypeError, match="Argument name is of type <class 'int'>, not <class 'str'>"
    ):
        typecheck(3, "name", str)


def test_exception_handler_names_the_method_of_an_internal_error():
    class Worker:
        @exception_handler
        def run(self) -> None:
            raise RedisRuntimeError("broken")

    with pytest.raises(RedisRuntimeError, match=r"^Worker.run execution failed\nbroken$"):
        Worker().run()


def test_both_packages_ship_py_typed():
    for package in (smartredis, smartsim):
        assert (Path(package.__file__).parent / "py.typed").is_file()
