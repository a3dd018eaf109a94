"""Models and scripts run by the database's inference workers (TorchScript and ONNX)."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest

from smartredis import Client
from smartredis.error import RedisKeyError, RedisReplyError, RedisRuntimeError
from smartredis.wire.connection import Connection
from smartredis.wire.slots import hash_slot

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

SCRIPT = """
def double(x):
    return 2 * x

def add(a, b):
    return a + b

def cat_all(tensors: List[Tensor], keys: List[str], args: List[str]):
    return torch.cat(tensors)
"""


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
    ).eval()


def _torchscript(module: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buffer)
    return buffer.getvalue()


def _onnx(module: torch.nn.Module, tmp_path) -> bytes:
    path = tmp_path / "mlp.onnx"
    torch.onnx.export(
        module,
        (torch.zeros(1, 8),),
        str(path),
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        dynamo=False,
    )
    return path.read_bytes()


def _expected(module: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


@pytest.fixture
def mlp():
    return _mlp()


@pytest.mark.parametrize("backend", ["TORCH", "ONNX"])
def test_model_results_equal_the_local_model(any_db, mlp, backend, tmp_path):
    blob = _torchscript(mlp) if backend == "TORCH" else _onnx(mlp, tmp_path)
    client = Client()
    client.set_model("mlp", blob, backend)
    assert client.model_exists("mlp") and client.poll_model("mlp", 10, 2)
    assert client.get_model("mlp") == blob
    x = np.random.default_rng(1).random((5, 8), dtype=np.float32)
    for i in range(3):  # the inputs land on different shards of the cluster
        client.put_tensor(f"x{i}", x)
        client.run_model("mlp", [f"x{i}"], [f"y{i}"])
        np.testing.assert_allclose(client.get_tensor(f"y{i}"), _expected(mlp, x), rtol=1e-5)
    # Each shard of a cluster has its own copy, with its own statistics (strings, as SmartRedis)
    infos = client.get_ai_info(any_db.addresses, "mlp")
    assert {(info["key"], info["type"], info["backend"]) for info in infos} == {
        ("mlp", "MODEL", backend)
    }
    assert sum(int(info["calls"]) for info in infos) == 3
    assert sum(int(info["samples"]) for info in infos) == 15


def test_model_from_file_and_delete(standalone_db, mlp, tmp_path):
    path = tmp_path / "mlp.pt"
    path.write_bytes(_torchscript(mlp))
    client = Client()
    client.set_model_from_file("mlp", str(path), "TORCH")
    client.put_tensor("x", np.ones((1, 8), dtype=np.float32))
    client.run_model("mlp", "x", "y")
    client.delete_model("mlp")
    assert not client.model_exists("mlp")
    with pytest.raises(RedisReplyError, match="mlp"):
        client.run_model("mlp", "x", "y")
    with pytest.raises(RedisKeyError):
        client.get_model("mlp")
    with pytest.raises(RedisKeyError):
        client.delete_model("mlp")


def test_scripts_and_functions(any_db):
    client = Client()
    client.set_script("ops", SCRIPT)
    assert "def double" in client.get_script("ops")
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    client.put_tensor("a", x)
    client.put_tensor("b", x + 1)
    client.run_script("ops", "double", ["a"], ["twice"])
    np.testing.assert_array_equal(client.get_tensor("twice"), 2 * x)
    client.run_script("ops", "add", ["a", "b"], ["sum"])
    np.testing.assert_array_equal(client.get_tensor("sum"), 2 * x + 1)
    client.run_script("ops", "cat_all", ["a", "b"], ["joined"])
    np.testing.assert_array_equal(client.get_tensor("joined"), np.concatenate([x, x + 1]))

    def negate(t):
        return -t

    client.set_function("neg", negate)
    client.run_script("neg", "negate", "a", "negated")
    np.testing.assert_array_equal(client.get_tensor("negated"), -x)
    with pytest.raises(RedisRuntimeError, match="no function 'missing'"):
        client.run_script("ops", "missing", ["a"], ["z"])
    client.delete_script("ops")
    with pytest.raises(RedisKeyError):
        client.get_script("ops")


def test_concurrent_callers_are_batched(standalone_db, mlp):
    setup = Client()
    setup.set_model(
        "batched",
        _torchscript(mlp),
        "TORCH",
        batch_size=4,
        min_batch_size=4,
        min_batch_timeout=5000,
    )
    inputs = np.random.default_rng(2).random((4, 1, 8), dtype=np.float32)
    errors: list[BaseException] = []

    def call(index: int) -> None:
        try:
            client = Client()
            client.put_tensor(f"in{index}", inputs[index])
            client.run_model("batched", f"in{index}", f"out{index}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    for index in range(4):
        np.testing.assert_allclose(
            setup.get_tensor(f"out{index}"), _expected(mlp, inputs[index]), rtol=1e-5
        )
    info = setup.get_ai_info(standalone_db.addresses, "batched", reset_stat=True)[0]
    assert (info["calls"], info["samples"]) == ("4", "4")  # as RedisAI: a call per request
    assert setup.get_ai_info(standalone_db.addresses, "batched")[0]["calls"] == "0"


def test_bad_inputs_give_clear_errors(standalone_db, mlp):
    client = Client()
    with pytest.raises(RedisRuntimeError, match="(?i)torch|pytorch|archive|zip"):
        client.set_model("junk", b"not a model", "TORCH")
    assert not client.model_exists("junk")
    with pytest.raises(TypeError, match="Backend type CAFFE unsupported"):
        client.set_model("m", b"x", "CAFFE")
    with pytest.raises(TypeError, match="Device argument must start with either CPU or GPU"):
        client.set_model("m", b"x", "TORCH", device="TPU")
    client.set_model("mlp", _torchscript(mlp), "TORCH")
    client.put_tensor("x", np.ones((2, 8), dtype=np.float32))
    with pytest.raises(RedisRuntimeError, match="forward"):
        client.run_model("mlp", ["x", "x"], ["y"])
    client.put_tensor("wrong", np.ones((2, 3), dtype=np.float32))
    with pytest.raises(RedisRuntimeError, match="shape|size|mat1"):
        client.run_model("mlp", ["wrong"], ["y"])
    with pytest.raises(RedisKeyError, match="tensor key is empty"):
        client.run_model("mlp", ["missing_input"], ["y"])
    assert client.get_ai_info(standalone_db.addresses, "mlp")[0]["errors"] == "2"


def test_missing_tensorflow_is_reported(standalone_db):
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("tensorflow is installed")
    with pytest.raises(RedisRuntimeError, match=r"tensorflow.*\[tf\]"):
        Client().set_model("tfmodel", b"graph", "TF", inputs=["x"], outputs=["y"])


def test_concurrent_runs_on_one_input_in_a_cluster(cluster_db, mlp):
    """Ensemble members often run one model on the same unprefixed input at once: each run's
    temporary copies in the model's slot must be its own, or one run's clean-up deletes the
    input of another ("tensor key is empty")."""
    import threading

    setup = Client()
    setup.set_model("shared", _torchscript(mlp), "TORCH")
    setup.put_tensor("x", np.ones((1, 8), dtype=np.float32))
    errors: list[BaseException] = []

    def member(index: int) -> None:
        client = Client()
        try:
            for turn in range(15):
                client.run_model("shared", "x", f"y{index}.{turn}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=member, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_batching_warning_and_refusals(standalone_db, mlp, capfd):
    """SmartRedis's batching checks: a min_batch_size without a timeout warns on stderr and
    the model is stored; the two refusals store nothing."""
    client = Client()
    blob = _torchscript(mlp)
    client.set_model("warned", blob, "TORCH", batch_size=4, min_batch_size=2)
    assert "WARNING: min_batch_timeout was not set" in capfd.readouterr().err
    assert client.model_exists("warned")
    with pytest.raises(RedisRuntimeError, match="batch_size must be non-zero"):
        client.set_model("refused", blob, "TORCH", min_batch_timeout=10)
    with pytest.raises(RedisRuntimeError, match="min_batch_size must be non-zero"):
        client.set_model("refused", blob, "TORCH", batch_size=4, min_batch_timeout=10)
    assert not client.model_exists("refused")


def test_bad_gpu_ranges_and_missing_files_store_nothing(any_db, mlp, tmp_path):
    client = Client()
    blob = _torchscript(mlp)
    with pytest.raises(ValueError, match="first_gpu must be a non-negative integer"):
        client.set_model_multigpu("m", blob, "TORCH", -1, 1)
    with pytest.raises(ValueError, match="num_gpus must be a positive integer"):
        client.set_script_multigpu("s", SCRIPT, 0, 0)
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "none.pt")):
        client.set_model_from_file("m", str(tmp_path / "none.pt"), "TORCH")
    with pytest.raises(FileNotFoundError):
        client.set_script_from_file("s", "none.txt")
    nodes = client.get_db_node_info(any_db.addresses)
    assert all("db0" not in node["Keyspace"] for node in nodes)


def test_model_exists_is_one_exists_on_the_model_key(any_db, mlp, monkeypatch):
    """As SmartRedis: EXISTS on the model key (prefixed only with model prefixing on); in a
    cluster on the copy ``{P}.<name>`` of the lowest slot range."""
    client = Client()
    client.put_tensor("plain", np.zeros(1, dtype=np.float32))  # a key that is not a model
    assert client.model_exists("plain") is (not any_db.cluster)
    monkeypatch.setenv("SSKEYIN", "ens0")
    monkeypatch.setenv("SSKEYOUT", "ens0")
    ensemble = Client()
    ensemble.use_model_ensemble_prefix(True)
    ensemble.set_model("mlp", _torchscript(mlp), "TORCH")
    assert ensemble.model_exists("mlp") and ensemble.poll_model("mlp", 10, 1)
    assert not client.model_exists("mlp") and client.model_exists("ens0.mlp")
    if any_db.cluster:
        keys = [k for a in any_db.addresses for k in _keys_at(a) if k.endswith(b"}.ens0.mlp")]
        assert len(keys) == 3  # one copy per shard
        first = min(keys, key=lambda k: hash_slot(k))
        _delete_at(any_db.addresses, first)
        assert not ensemble.model_exists("mlp")  # the others are not looked at


def _keys_at(address: str) -> list[bytes]:
    with Connection(address, timeout=5.0) as conn:
        return list(conn.execute("KEYS", "*"))


def _delete_at(addresses: list[str], key: bytes) -> None:
    for address in addresses:
        with Connection(address, timeout=5.0) as conn:
            if key in conn.execute("KEYS", "*"):
                conn.execute("DEL", key)
