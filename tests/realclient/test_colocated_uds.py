"""The official client on a colocated database reached through a Unix socket
(``Model.colocate_db_uds``): tensors both ways, a model and a script stored and run.

The colocated model's application is the real client itself (it connects with the SSDB its
launch gave it, then waits); the tests talk to that database while it runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Client
from tests.realclient.test_models_interop import MODEL, OUT0, OUT1, SCRIPT, X, Y
from tests.realclient.test_tensors_interop import ARRAYS, DTYPES, _memory_order, _same


def test_the_database_is_a_unix_socket(realclient_uds):
    assert realclient_uds.ssdb.startswith("unix:///") and not realclient_uds.cluster


def test_tensors_both_ways(real_smartredis, realclient_uds):
    client = Client()
    for name, array in ARRAYS.items():
        client.put_tensor(f"ours.{name}", np.asfortranarray(array))
    out = real_smartredis.run(
        """
        c = Client()
        for name, a in inputs.items():
            c.put_tensor("theirs." + name, a)
            c.put_tensor("theirs_f." + name, np.asfortranarray(a))
            outputs[name] = c.get_tensor("ours." + name)
        """,
        realclient_uds,
        ARRAYS,
    )
    for name, array in ARRAYS.items():
        _same(out[name], array, f"ours -> real {name}")
        _same(client.get_tensor(f"theirs.{name}"), array, f"real -> ours {name}")
        _same(client.get_tensor(f"theirs_f.{name}"), _memory_order(array), f"Fortran {name}")
    assert len(DTYPES) == 8


def test_models_and_scripts(real_smartredis, realclient_uds, tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "net.pt"
    path.write_bytes(MODEL)
    client = Client()
    client.set_model("ours", MODEL, "TORCH", "CPU")
    out = real_smartredis.run(
        """
        c = Client()
        c.set_model("theirs", open(inputs["model"], "rb").read(), "TORCH", "CPU")
        c.set_script("s", inputs["source"])
        c.put_tensor("x", inputs["x"])
        c.put_tensor("y", inputs["y"])
        c.run_model("theirs", ["x", "y"], ["t0", "t1"])
        c.run_model("ours", ["x", "y"], ["o0", "o1"])
        c.run_script("s", "combine", ["x", "y"], ["prod", "diff"])
        for key in ("t0", "t1", "o0", "prod"):
            outputs[key] = c.get_tensor(key)
        outputs["info"] = c.get_ai_info([inputs["address"]], "theirs")
        """,
        realclient_uds,
        {"model": str(path), "source": SCRIPT, "x": X, "y": Y, "address": realclient_uds.ssdb},
    )
    np.testing.assert_array_equal(out["t0"], OUT0)
    np.testing.assert_array_equal(out["t1"], OUT1)
    np.testing.assert_array_equal(out["o0"], OUT0)
    np.testing.assert_array_equal(out["prod"], X * Y)
    assert out["info"][0]["calls"] == "1" and out["info"][0]["key"] == "theirs"
    client.run_model("theirs", ["y", "x"], ["r0", "r1"])
    np.testing.assert_array_equal(client.get_tensor("r1"), Y - X)
    client.run_script("s", "add_one", ["x"], ["x1"])
    np.testing.assert_array_equal(client.get_tensor("x1"), X + 1)
