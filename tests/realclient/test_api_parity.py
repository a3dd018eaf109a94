"""The same calls to the official client and to ours fail the same way: the exception's class
and message (the official one's source-location line aside), for argument checks and the
Client's address form. Also: each reads the other's xarray descriptions of a dataset.
"""

from __future__ import annotations

import os
import re
import typing as t

import numpy as np
import pytest

from smartredis import Client, Dataset
from smartredis.dataset_utils import DatasetConverter

SCRIPT = "def f(x):\n    return x\n"

# label -> (call, compare the message too); evaluated with c (a Client), addr, missing
CALLS: dict[str, tuple[str, bool]] = {
    "device": ("c.set_model('m', b'x', 'TORCH', 'TPU')", True),
    "device before backend": ("c.set_model('m', b'x', 'caffe', 'tpu')", True),
    "device name": ("c.set_model('m', b'x', 'TORCH', 'cpux')", True),
    "backend": ("c.set_model('m', b'x', 'caffe')", True),
    "empty name": ("c.set_model('', b'x', 'TORCH')", True),
    "tflite inputs": ("c.set_model('m', b'x', 'TFLITE', inputs=['a'])", True),
    "torch outputs": ("c.set_model('m', b'x', 'TORCH', outputs='a')", True),
    "inputs type": ("c.set_model('m', b'x', 'TORCH', inputs=3)", True),
    "tag type": ("c.set_model('m', b'x', 'TORCH', tag=3)", True),
    "batch without size": ("c.set_model('m', b'x', 'TORCH', min_batch_size=1)", True),
    "timeout without min": (
        "c.set_model('m', b'x', 'TORCH', batch_size=2, min_batch_timeout=1)",
        True,
    ),
    "model type": ("c.set_model('m', 3, 'TORCH')", False),
    "missing model file": ("c.set_model_from_file('m', missing, 'TORCH')", True),
    "device before file": ("c.set_model_from_file('m', missing, 'TORCH', 'TPU')", True),
    "file before gpus": ("c.set_model_from_file_multigpu('m', missing, 'TORCH', -1, 1)", True),
    "first_gpu": ("c.set_model_multigpu('m', b'x', 'TORCH', -1, 1)", True),
    "num_gpus": ("c.set_model_multigpu('m', b'x', 'TORCH', 0, 0)", True),
    "backend before gpus": ("c.set_model_multigpu('m', b'x', 'CAFFE', -1, 1)", True),
    "types before gpus": ("c.set_model_multigpu('m', b'x', 'TORCH', -1, 1, tag=0)", True),
    "script first_gpu": ("c.set_script_multigpu('s', script, -1, 1)", True),
    "script num_gpus": ("c.set_script_multigpu('s', script, 0, 0)", True),
    "script device": ("c.set_script('s', script, 'tpu')", True),
    "script device name": ("c.set_script('s', script, 'cpux')", True),
    "missing script file": ("c.set_script_from_file('s', missing)", True),
    "not callable": ("c.set_function('f', 3)", True),
    "run model gpus": ("c.run_model_multigpu('m', 0, -1, 1)", True),
    "run script gpus": ("c.run_script_multigpu('s', 'f', ['a'], ['b'], 0, -1, 1)", True),
    "delete model gpus": ("c.delete_model_multigpu('m', -1, 1)", True),
    "delete script gpus": ("c.delete_script_multigpu('s', 0, 0)", True),
    "ai info address": ("c.get_ai_info(addr, 'm')", True),
    "node info address": ("c.get_db_node_info(addr)", True),
    "cluster info address": ("c.get_db_cluster_info(addr)", True),
    "cluster info standalone": ("c.get_db_cluster_info([addr])", True),
    "flush address": ("c.flush_db(addr)", True),
    "save address": ("c.save(addr)", True),
    "config_get address": ("c.config_get('*', [addr])", True),
    "list length": ("c.poll_list_length('l', -1, 10, 1)", True),
    "types before list length": ("c.poll_list_length('l', -1, 10, None)", True),
    "tensor name type": ("c.put_tensor(3, np.zeros(2))", True),
    "tensor data type": ("c.put_tensor('t', [1, 2])", True),
    "copy names": ("c.copy_tensor('a', 3)", True),
    "poll frequency": ("c.poll_tensor('t', 'a', 1)", True),
    "range index": ("c.get_dataset_list_range('l', 'a', 1)", True),
    "prefix flag": ("c.use_tensor_ensemble_prefix(1)", True),
    "config_set address": ("c.config_set('a', 'b', 3)", True),
    "dataset type": ("c.put_dataset('d')", True),
    "no SSDB": ("without_ssdb(lambda: Client(False))", True),
    "unknown keyword": ("Client(False, address=addr, nodes=3)", True),
    "address without cluster": ("Client(address=addr)", False),
    "address sets SSDB": (
        "without_ssdb(lambda: (Client(False, addr), os.environ['SSDB'])[1])",
        True,
    ),
}

# Evaluates CALLS with a Client of either implementation; `results` maps each label to
# [exception class or "ok", message or result].
_EVALUATE = """
import os
import numpy as np

def without_ssdb(call):
    saved = os.environ.pop("SSDB")
    try:
        return call()
    finally:
        os.environ["SSDB"] = saved

def evaluate(Client, calls, addr, missing, script):
    c = Client()
    results = {}
    names = {"c": c, "Client": Client, "addr": addr, "missing": missing, "script": script,
             "os": os, "np": np, "without_ssdb": without_ssdb}
    for label, (call, _) in calls.items():
        try:
            value = eval(call, names)
            results[label] = ["ok", value if isinstance(value, str) else ""]
        except Exception as exc:
            results[label] = [type(exc).__name__, str(exc)]
    return results
"""
_LOCATION = re.compile(r'^File ".*", line \d+, in SmartRedis library\n', re.M)


def _ours(addr: str, missing: str) -> dict[str, list[str]]:
    names: dict[str, t.Any] = {}
    exec(_EVALUATE, names)
    return names["evaluate"](Client, CALLS, addr, missing, SCRIPT)


def test_failures_match_the_official_client(real_smartredis, realclient_db, tmp_path):
    addr, missing = realclient_db.addresses[0], str(tmp_path / "missing" / "model.pt")
    inputs = {"calls": CALLS, "addr": addr, "missing": missing, "script": SCRIPT}
    theirs = real_smartredis.run(
        _EVALUATE + "outputs['results'] = evaluate(Client, inputs['calls'], inputs['addr'],"
        " inputs['missing'], inputs['script'])",
        realclient_db,
        inputs,
    )["results"]
    ours = _ours(addr, missing)
    assert os.environ["SSDB"] == realclient_db.ssdb
    for label, (_, compare_message) in CALLS.items():
        their_class, their_message = theirs[label]
        our_class, our_message = ours[label]
        assert our_class == their_class, (label, ours[label], theirs[label])
        if compare_message:
            assert our_message == _LOCATION.sub("", their_message), label
    assert theirs["address sets SSDB"] == ["ok", addr]


def test_xarray_descriptions_are_shared(real_smartredis, realclient_db):
    """The official client's DatasetConverter (its add_metadata_for_xarray needs no xarray)
    describes a dataset that ours turns into a DataArray, and reads our descriptions."""
    xr = pytest.importorskip("xarray")
    real_smartredis.run(
        """
        from smartredis.dataset_utils import DatasetConverter
        ds = Dataset("theirs")
        ds.add_tensor("v", np.arange(4.0))
        ds.add_tensor("t", np.arange(4.0) * 10)
        ds.add_meta_string("dim_t", "time")
        ds.add_meta_string("units", "K")
        DatasetConverter.add_metadata_for_xarray(ds, "v", "dim_t", "t", ["units"])
        DatasetConverter.add_metadata_for_xarray(ds, "t", "dim_t", attr_names=["units"])
        Client(cluster=False).put_dataset(ds)
        """,
        realclient_db,
    )
    arrays = DatasetConverter.transform_to_xarray(Client().get_dataset("theirs"))
    expected = xr.DataArray(
        name="v",
        data=np.arange(4.0),
        dims=["time"],
        coords={"t": ("time", np.arange(4.0) * 10, {"units": "K"})},
        attrs={"units": "K"},
    )
    assert list(arrays) == ["v"] and arrays["v"].identical(expected)

    ours = Dataset("ours")
    ours.add_tensor("v", np.arange(2.0))
    ours.add_meta_string("dim_t", "time")
    DatasetConverter.add_metadata_for_xarray(ours, ["v"], ["dim_t"])
    Client().put_dataset(ours)
    out = real_smartredis.run(
        """
        ds = Client(cluster=False).get_dataset("ours")
        outputs["fields"] = {
            name: ds.get_meta_strings(name) for name in ds.get_metadata_field_names()
        }
        """,
        realclient_db,
    )
    assert out["fields"] == {
        "dim_t": ["time"],
        "_xarray_data_names": ["v"],
        "_xarray_v_dim_names": ["dim_t"],
        "_xarray_v_coord_names": ["null"],
        "_xarray_v_attr_names": ["null"],
    }
