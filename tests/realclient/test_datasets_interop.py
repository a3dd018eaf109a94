"""Datasets and aggregation lists: the official client and ours read each other's.

Metadata-only ones on the standalone database; datasets with tensors of every dtype (which
the official client writes with AI.TENSORSET and reads with AI.TENSORGET, through our module)
on the standalone database and on a 3-shard cluster.
"""

from __future__ import annotations

import textwrap
import threading

import numpy as np
import pytest

from smartredis import Client, Dataset
from smartredis.wire.connection import Connection

SCALARS = {
    "double": ("float64", [0.1, -2.5, float("inf"), 1e300]),
    "float": ("float32", [1.5, -0.25, 3.4e38]),
    "int32": ("int32", [-(2**31), 2**31 - 1, 0]),
    "int64": ("int64", [-(2**63), 2**63 - 1, 42]),
    "uint32": ("uint32", [0, 2**32 - 1]),
    "uint64": ("uint64", [0, 2**64 - 1, 7]),
    "one": ("int64", [5]),
}
STRINGS = {
    "words": ["", "x", "naïve ☃ 日本語", "a" * 1000, "tab\tnew\nline"],
    "empty": [""],
    "single": ["only"],
}
FIELD_TYPES = {name: dtype for name, (dtype, _) in SCALARS.items()} | dict.fromkeys(STRINGS, "str")
CONTENT = {"scalars": SCALARS, "strings": STRINGS}

# Real-client snippets. ``fill`` builds a Dataset from CONTENT (plus ``tensors``, a dict of
# arrays); ``dump`` describes one.
_FILL = """
def fill(name, content, tensors={}):
    ds = Dataset(name)
    for tname, array in tensors.items():
        ds.add_tensor(tname, array)
    for field, (dtype, values) in content["scalars"].items():
        for value in values:
            ds.add_meta_scalar(field, np.dtype(dtype).type(value))
    for field, values in content["strings"].items():
        for value in values:
            ds.add_meta_string(field, value)
    return ds
"""
_DUMP = """
def dump(ds, tag=""):
    if not isinstance(ds, Dataset):  # its get_datasets_from_list returns bare PyDatasets
        ds = Dataset.from_pybind(ds)
    outputs[tag + "name"] = ds.get_name()
    outputs[tag + "fields"] = sorted(ds.get_metadata_field_names())
    for field in ds.get_metadata_field_names():
        kind = ds.get_metadata_field_type(field)
        outputs[tag + "type:" + field] = kind.__name__
        if kind is str:
            outputs[tag + "strings:" + field] = ds.get_meta_strings(field)
        else:
            # a copy: the array views memory the dataset frees with itself
            outputs[tag + "scalars:" + field] = np.array(ds.get_meta_scalars(field))
    outputs[tag + "tensors"] = ds.get_tensor_names()
    for tname in ds.get_tensor_names():
        outputs[tag + "tensor:" + tname] = np.array(ds.get_tensor(tname))
"""


def _code(*parts: str) -> str:
    """Snippets joined, each dedented on its own."""
    return "\n".join(textwrap.dedent(part) for part in parts)


def _fill(name: str, content: dict = CONTENT, tensors: dict | None = None) -> Dataset:
    ds = Dataset(name)
    for tname, array in (tensors or {}).items():
        ds.add_tensor(tname, array)
    for field, (dtype, values) in content["scalars"].items():
        for value in values:
            ds.add_meta_scalar(field, np.dtype(dtype).type(value))
    for field, values in content["strings"].items():
        for value in values:
            ds.add_meta_string(field, value)
    return ds


def _same_array(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert (got.dtype, got.shape) == (want.dtype, want.shape), what
    np.testing.assert_array_equal(got, want, err_msg=what)


def _check_ours(ds: Dataset, name: str, tensors: dict | None = None) -> None:
    """A dataset as our client read it holds CONTENT (and ``tensors``, in their order)."""
    tensors = tensors or {}
    assert ds.get_name() == name
    assert sorted(ds.get_metadata_field_names()) == sorted(FIELD_TYPES)
    assert ds.get_tensor_names() == list(tensors)
    for tname, array in tensors.items():
        _same_array(ds.get_tensor(tname), array, f"{name}.{tname}")
    for field, (dtype, values) in SCALARS.items():
        assert ds.get_metadata_field_type(field) is np.dtype(dtype).type
        got = ds.get_meta_scalars(field)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, np.array(values, dtype=dtype))
    for field, values in STRINGS.items():
        assert ds.get_metadata_field_type(field) is str
        assert ds.get_meta_strings(field) == values


def _check_real(out: dict, name: str, tag: str = "", tensors: dict | None = None) -> None:
    """What the real client's ``dump`` reported holds CONTENT (and ``tensors``)."""
    tensors = tensors or {}
    assert out[tag + "name"] == name
    assert out[tag + "tensors"] == list(tensors)
    for tname, array in tensors.items():
        _same_array(out[f"{tag}tensor:{tname}"], array, f"{name}.{tname}")
    assert out[tag + "fields"] == sorted(FIELD_TYPES)
    for field, (dtype, values) in SCALARS.items():
        # SmartRedis 0.6.1's Python Dtypes.from_string maps FLOAT to np.float64 (its values
        # are float32 all the same)
        assert out[f"{tag}type:{field}"] == ("float64" if dtype == "float32" else dtype)
        got = out[f"{tag}scalars:{field}"]
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, np.array(values, dtype=dtype))
    for field, values in STRINGS.items():
        assert out[f"{tag}type:{field}"] == "str"
        assert out[f"{tag}strings:{field}"] == values


def _hgetall(db, key: str) -> dict[bytes, bytes]:
    with Connection(db.addresses[0]) as conn:
        items = conn.execute("HGETALL", key)
    return {bytes(k): bytes(v) for k, v in zip(items[::2], items[1::2], strict=True)}


def _raw(db, *command):
    with Connection(db.addresses[0]) as conn:
        return conn.execute(*command)


def test_real_client_dataset_read_by_ours(real_smartredis, realclient_db):
    real_smartredis.run(
        _code(_FILL, "Client(cluster=False).put_dataset(fill('sim', inputs))"),
        realclient_db,
        CONTENT,
    )
    _check_ours(Client().get_dataset("sim"), "sim")


def test_our_dataset_read_by_real_client(real_smartredis, realclient_db):
    Client().put_dataset(_fill("sim"))
    out = real_smartredis.run(
        _code(_DUMP, "dump(Client(cluster=False).get_dataset('sim'))"), realclient_db
    )
    _check_real(out, "sim")


def test_both_clients_store_the_same_bytes(real_smartredis, realclient_db):
    real_smartredis.run(
        _code(_FILL, "Client(cluster=False).put_dataset(fill('theirs', inputs))"),
        realclient_db,
        CONTENT,
    )
    Client().put_dataset(_fill("ours"))
    keys = sorted(bytes(k).decode() for k in _raw(realclient_db, "KEYS", "*"))
    assert keys == ["{ours}.meta", "{theirs}.meta"]
    theirs, ours = _hgetall(realclient_db, "{theirs}.meta"), _hgetall(realclient_db, "{ours}.meta")
    assert theirs[b".COMPLETE"] == b"1"
    assert ours == theirs


def test_aggregation_list_from_real_client(real_smartredis, realclient_db):
    real_smartredis.run(
        _code(
            _FILL,
            """
        c = Client(cluster=False)
        for i in range(3):
            ds = fill(f"step{i}", inputs)
            c.put_dataset(ds)
            c.append_to_list("steps", ds)
        """,
        ),
        realclient_db,
        CONTENT,
    )
    client = Client()
    assert client.get_list_length("steps") == 3
    datasets = client.get_datasets_from_list("steps")
    assert [ds.get_name() for ds in datasets] == ["step0", "step1", "step2"]
    for i, ds in enumerate(datasets):
        _check_ours(ds, f"step{i}")
    assert [ds.get_name() for ds in client.get_dataset_list_range("steps", 1, -1)] == [
        "step1",
        "step2",
    ]


def test_aggregation_list_from_ours(real_smartredis, realclient_db):
    client = Client()
    for i in range(3):
        ds = _fill(f"step{i}")
        client.put_dataset(ds)
        client.append_to_list("steps", ds)
    out = real_smartredis.run(
        _code(
            _DUMP,
            """
        c = Client(cluster=False)
        outputs["length"] = c.get_list_length("steps")
        for i, ds in enumerate(c.get_datasets_from_list("steps")):
            dump(ds, f"{i}:")
        outputs["range"] = [ds.get_name() for ds in c.get_dataset_list_range("steps", 0, 1)]
        """,
        ),
        realclient_db,
    )
    assert out["length"] == 3
    for i in range(3):
        _check_real(out, f"step{i}", tag=f"{i}:")
    assert out["range"] == ["step0", "step1"]


def test_one_list_appended_to_by_both(real_smartredis, realclient_db):
    client = Client()
    ours = _fill("ours")
    client.put_dataset(ours)
    client.append_to_list("mixed", ours)
    real_smartredis.run(
        _code(
            _FILL,
            """
        c = Client(cluster=False)
        ds = fill("theirs", inputs)
        c.put_dataset(ds)
        c.append_to_list("mixed", ds)
        """,
        ),
        realclient_db,
        CONTENT,
    )
    assert [bytes(e) for e in _raw(realclient_db, "LRANGE", "mixed", 0, -1)] == [
        b"{ours}",
        b"{theirs}",
    ]
    for ds, name in zip(client.get_datasets_from_list("mixed"), ["ours", "theirs"], strict=True):
        _check_ours(ds, name)
    out = real_smartredis.run(
        _code(
            _DUMP,
            """
        for i, ds in enumerate(Client(cluster=False).get_datasets_from_list("mixed")):
            dump(ds, f"{i}:")
        """,
        ),
        realclient_db,
    )
    _check_real(out, "ours", tag="0:")
    _check_real(out, "theirs", tag="1:")


def test_exists_and_poll_of_a_real_client_dataset(real_smartredis, realclient_db):
    real_smartredis.run(
        _code(_FILL, "Client(cluster=False).put_dataset(fill('sim', inputs))"),
        realclient_db,
        CONTENT,
    )
    client = Client()
    assert client.dataset_exists("sim")
    assert client.poll_dataset("sim", 10, 2)
    assert not client.dataset_exists("other")
    assert not client.poll_dataset("other", 10, 2)


def test_exists_and_poll_of_our_dataset(real_smartredis, realclient_db, tmp_path):
    client = Client()
    client.put_dataset(_fill("sim"))
    # We put "late" only once the real client is about to poll for it.
    ready = tmp_path / "polling"

    def put_late() -> None:
        for _ in range(2000):
            if ready.exists():
                break
            threading.Event().wait(0.01)
        threading.Event().wait(0.2)
        Client().put_dataset(_fill("late"))

    writer = threading.Thread(target=put_late)
    writer.start()
    try:
        out = real_smartredis.run(
            """
            c = Client(cluster=False)
            outputs["exists"] = c.dataset_exists("sim")
            outputs["poll"] = c.poll_dataset("sim", 10, 2)
            outputs["missing"] = c.dataset_exists("other")
            outputs["poll_missing"] = c.poll_dataset("other", 10, 2)
            outputs["late_before"] = c.dataset_exists("late")
            open(inputs["ready"], "w").close()
            outputs["poll_late"] = c.poll_dataset("late", 20, 500)
            late = c.get_dataset("late")  # kept: get_meta_scalars views its memory
            outputs["late_one"] = late.get_meta_scalars("one").tolist()
            """,
            realclient_db,
            {"ready": str(ready)},
            timeout=30,
        )
    finally:
        ready.touch()
        writer.join()
    assert out == {
        "exists": True,
        "poll": True,
        "missing": False,
        "poll_missing": False,
        "late_before": False,
        "poll_late": True,
        "late_one": [5],
    }


def test_copy_and_delete_across_clients(real_smartredis, realclient_db):
    real_smartredis.run(
        _code(_FILL, "Client(cluster=False).put_dataset(fill('sim', inputs))"),
        realclient_db,
        CONTENT,
    )
    client = Client()
    client.copy_dataset("sim", "copy")
    client.delete_dataset("sim")
    out = real_smartredis.run(
        _code(
            _DUMP,
            """
        c = Client(cluster=False)
        outputs["sim_exists"] = c.dataset_exists("sim")
        dump(c.get_dataset("copy"))
        """,
        ),
        realclient_db,
    )
    assert out.pop("sim_exists") is False
    _check_real(out, "copy")


@pytest.mark.parametrize("writer", ["real", "ours"])
def test_ensemble_prefixes(real_smartredis, realclient_db, monkeypatch, writer):
    """A dataset and list put under SSKEYOUT=member0 are read back through SSKEYIN=member0."""
    put = """
        c = Client(cluster=False)
        ds = fill("sim", inputs)
        c.put_dataset(ds)
        c.append_to_list("steps", ds)
    """
    get = """
        c = Client(cluster=False)
        dump(c.get_dataset("sim"))
        dump(c.get_datasets_from_list("steps")[0], "list:")
    """
    if writer == "real":
        real_smartredis.run(_code(_FILL, put), realclient_db, CONTENT, env={"SSKEYOUT": "member0"})
        monkeypatch.setenv("SSKEYIN", "member0")
        client = Client()
        _check_ours(client.get_dataset("sim"), "sim")
        _check_ours(client.get_datasets_from_list("steps")[0], "sim")
    else:
        monkeypatch.setenv("SSKEYOUT", "member0")
        client = Client()
        ds = _fill("sim")
        client.put_dataset(ds)
        client.append_to_list("steps", ds)
        out = real_smartredis.run(_code(_DUMP, get), realclient_db, env={"SSKEYIN": "member0"})
        _check_real(out, "sim")
        _check_real(out, "sim", tag="list:")
    keys = sorted(bytes(k).decode() for k in _raw(realclient_db, "KEYS", "*"))
    assert keys == ["member0.steps", "member0.{sim}.meta"]
    assert _raw(realclient_db, "LRANGE", "member0.steps", 0, -1) == [b"member0.{sim}"]


# -- datasets with tensors: standalone and cluster ------------------------------------------
def _tensors(seed: int) -> dict[str, np.ndarray]:
    """One tensor per dtype, of differing shapes (a Fortran-ordered one among them)."""
    rng = np.random.default_rng(seed)
    shapes = [(2, 3), (5,), (2, 2, 2), (1,), (4, 3), (3, 1, 2), (7,), (2, 5)]
    out = {}
    for i, dtype in enumerate(
        ("float64", "float32", "int8", "int16", "int32", "int64", "uint8", "uint16")
    ):
        array = (rng.standard_normal(shapes[i]) * 100).astype(dtype)
        out[f"t_{dtype}"] = array
    out["t_fortran"] = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    return out


TENSORS = _tensors(5)
_FILL_T = (
    _FILL
    + """
def fill_t(name, inputs):
    tensors = {k[2:]: v for k, v in inputs.items() if k.startswith("t:")}
    return fill(name, inputs["content"], tensors)
"""
)
_TENSOR_INPUTS = {"content": CONTENT} | {f"t:{k}": v for k, v in TENSORS.items()}
# The real client receives arrays through .npy files (C-ordered once loaded), so its
# "t_fortran" holds the same values in C order; ours is sent as a Fortran array.


def test_real_client_dataset_with_tensors_read_by_ours(real_smartredis, realclient_any_db):
    real_smartredis.run(
        _code(_FILL_T, "Client().put_dataset(fill_t('sim', inputs))"),
        realclient_any_db,
        _TENSOR_INPUTS,
    )
    client = Client()
    assert client.dataset_exists("sim")
    _check_ours(client.get_dataset("sim"), "sim", TENSORS)


def test_our_dataset_with_tensors_read_by_real_client(real_smartredis, realclient_any_db):
    Client().put_dataset(_fill("sim", tensors=TENSORS))
    out = real_smartredis.run(
        _code(
            _DUMP,
            """
            c = Client()
            outputs["exists"] = c.dataset_exists("sim")
            dump(c.get_dataset("sim"))
            c.copy_dataset("sim", "copy")
            dump(c.get_dataset("copy"), "copy:")
            """,
        ),
        realclient_any_db,
    )
    assert out.pop("exists") is True
    _check_real(out, "sim", tensors=TENSORS)
    _check_real(out, "copy", tag="copy:", tensors=TENSORS)
    _check_ours(Client().get_dataset("copy"), "copy", TENSORS)  # the real client's copy


def test_dataset_deleted_by_the_other_client(real_smartredis, realclient_any_db):
    Client().put_dataset(_fill("ours", tensors=TENSORS))
    real_smartredis.run(
        _code(
            _FILL_T,
            """
            c = Client()
            c.put_dataset(fill_t("theirs", inputs))
            c.delete_dataset("ours")
            """,
        ),
        realclient_any_db,
        _TENSOR_INPUTS,
    )
    client = Client()
    assert not client.dataset_exists("ours")
    client.delete_dataset("theirs")
    assert not client.dataset_exists("theirs")
    for db_address in realclient_any_db.addresses:
        with Connection(db_address) as conn:
            assert conn.execute("KEYS", "*") == []  # the tensors went with the datasets


def test_aggregation_list_of_tensor_datasets_from_real_client(real_smartredis, realclient_any_db):
    real_smartredis.run(
        _code(
            _FILL_T,
            """
            c = Client()
            for i in range(3):
                ds = fill_t(f"step{i}", inputs)
                c.put_dataset(ds)
                c.append_to_list("steps", ds)
            """,
        ),
        realclient_any_db,
        _TENSOR_INPUTS,
    )
    client = Client()
    datasets = client.get_datasets_from_list("steps")
    assert [ds.get_name() for ds in datasets] == ["step0", "step1", "step2"]
    for i, ds in enumerate(datasets):
        _check_ours(ds, f"step{i}", TENSORS)
    ranged = client.get_dataset_list_range("steps", -2, -1)
    assert [ds.get_name() for ds in ranged] == ["step1", "step2"]
    _check_ours(ranged[0], "step1", TENSORS)


def test_aggregation_list_of_tensor_datasets_from_ours(real_smartredis, realclient_any_db):
    client = Client()
    for i in range(3):
        ds = _fill(f"step{i}", tensors=TENSORS)
        client.put_dataset(ds)
        client.append_to_list("steps", ds)
    out = real_smartredis.run(
        _code(
            _DUMP,
            """
            c = Client()
            outputs["length"] = c.get_list_length("steps")
            for i, ds in enumerate(c.get_datasets_from_list("steps")):
                dump(ds, f"{i}:")
            for ds in c.get_dataset_list_range("steps", 1, 1):
                dump(ds, "range:")
            """,
        ),
        realclient_any_db,
    )
    assert out["length"] == 3
    for i in range(3):
        _check_real(out, f"step{i}", tag=f"{i}:", tensors=TENSORS)
    _check_real(out, "step1", tag="range:", tensors=TENSORS)
