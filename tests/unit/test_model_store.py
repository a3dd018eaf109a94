"""ModelStore's commands and key layout, against in-memory fake routers that check routing.

The cluster fake has SmartRedis's trace layout (ranges 0-5460, 5461-10921, 10922-16383); it
refuses a keyed command sent to a node that does not own the key's slot (MOVED) and a
multi-key command whose keys are in several slots (CROSSSLOT), as a real cluster does.
"""

from __future__ import annotations

import typing as t

import numpy as np
import pytest

from smartredis._keys import KeyBuilder
from smartredis._model_methods import ModelMethods
from smartredis._models import ModelStore
from smartredis.error import RedisRuntimeError
from smartredis.wire import inference
from smartredis.wire import tensor as tensor_format
from smartredis.wire.cluster import ClusterRouter
from smartredis.wire.connection import Address
from smartredis.wire.protocol import ReplyError
from smartredis.wire.retry import RetryPolicy
from smartredis.wire.router import Router, StandaloneRouter
from smartredis.wire.slots import SLOTS, hash_slot
from smartredis.wire.store import TensorStore

from .test_inference_commands import argv

P0, P1, P2 = b"{\x00\x00}.", b"{8M}.", b"{p\x9a}."
MULTI_KEY = {b"DEL", b"AI.MODELEXECUTE", b"AI.SCRIPTRUN"}


class FakeNode:
    """One node's data and what it answers."""

    def __init__(self) -> None:
        self.data: dict[bytes, t.Any] = {}

    def run(self, args: list[bytes]) -> t.Any:
        name, rest = args[0].upper(), args[1:]
        data = self.data
        if name == b"GET":
            return data.get(rest[0])
        if name == b"SET":
            data[rest[0]] = rest[1]
            return "OK"
        if name == b"GETRANGE":
            return data.get(rest[0], b"")[int(rest[1]) : int(rest[2]) + 1]
        if name in (b"DEL", b"UNLINK"):
            return sum(data.pop(key, None) is not None for key in rest)
        if name == b"EXISTS":
            return sum(key in data for key in rest)
        if name == b"AI.CONFIG":
            return 8 if rest[0].upper() == b"GET" else "OK"
        if name in (b"AI.MODELSTORE", b"AI.SCRIPTSET"):
            data[rest[0]] = (name, rest[1:])
            return "OK"
        if name in (b"AI.MODELDEL", b"AI.SCRIPTDEL"):
            if data.pop(rest[0], None) is None:
                return ReplyError("ERR model key is empty")
            return "OK"
        if name == b"AI.MODELGET":
            stored = data.get(rest[0])
            if stored is None:
                return ReplyError("ERR model key is empty")
            blob = b"".join(stored[1][stored[1].index(b"BLOB") + 1 :])
            return [blob[:8], blob[8:]]  # as RedisAI does past the chunk size
        if name == b"AI.SCRIPTGET":
            return data[rest[0]][1][-1]
        if name in (b"AI.MODELEXECUTE", b"AI.SCRIPTRUN"):
            return self._run(rest)
        if name == b"AI.INFO":
            if rest[1:] == [b"RESETSTAT"]:
                return "OK"
            return [b"key", rest[0], b"type", b"MODEL", b"calls", 0]
        raise AssertionError(f"unexpected command {args}")

    def _run(self, rest: list[bytes]) -> t.Any:
        """An identity model: every output becomes a copy of the first input."""
        if rest[0] not in self.data:
            return ReplyError("ERR model key is empty")
        start = rest.index(b"INPUTS") + 1
        end = rest.index(b"OUTPUTS")
        inputs = rest[start:end]
        outputs = rest[end + 1 :]
        if rest[0:1] and b"TIMEOUT" in outputs:  # AI.MODELEXECUTE: counted lists, TIMEOUT
            inputs, outputs = inputs[1:], outputs[1 : outputs.index(b"TIMEOUT")]
        if any(key not in self.data for key in inputs):
            return ReplyError("ERR tensor key is empty or in a different shard")
        for key in outputs:
            self.data[key] = self.data[inputs[0]]
        return "OK"


class FakeConnection:
    """Stands in for a Connection: runs commands on a FakeNode after checking the routing."""

    def __init__(self, router: t.Any, address: Address) -> None:
        self.router, self.node = router, router.fake[address]
        self.address = address

    def execute(self, *args: t.Any) -> t.Any:
        command = argv(args)
        self.router.check(self.address, command)
        self.router.log.append((list(self.router.fake).index(self.address), command))
        return self.node.run(command)

    def execute_streamed(self, args: t.Any, consume: t.Any) -> t.Any:
        assert consume is None
        return self.execute(*args)

    def pipeline(self, commands: t.Any) -> list[t.Any]:
        return [self.execute(*command) for command in commands]


class FakeRouting:
    """The fake side of a router: no sockets, a FakeNode per address."""

    fake: dict[Address, FakeNode]
    log: list[tuple[int, list[bytes]]]

    def check(self, address: Address, command: list[bytes]) -> None:
        """What a cluster refuses; nothing for a single node."""

    def _run(
        self,
        key: t.Any,
        op: t.Any,
        command: str,
        at: Address | None = None,
        repeatable: bool = True,
    ) -> t.Any:
        reply = op(FakeConnection(self, at if at is not None else self._route(key)), False)
        if isinstance(reply, ReplyError):
            reply.command, reply.key = command, str(key)
            raise reply
        return reply

    def sent(self) -> list[tuple[int, list[bytes]]]:
        """(node index, argv) of every command, in order."""
        return list(self.log)


class FakeCluster(FakeRouting, ClusterRouter):
    """Three primaries with the slot ranges of SmartRedis's trace."""

    def __init__(self) -> None:
        Router.__init__(self, RetryPolicy(), lambda level, message: None)
        nodes = [Address("127.0.0.1", 7000 + i) for i in range(3)]
        self._ranges = [(0, 5460, nodes[0]), (5461, 10921, nodes[1]), (10922, 16383, nodes[2])]
        self._slots = [None] * SLOTS
        for first, last, node in self._ranges:
            self._slots[first : last + 1] = [node] * (last + 1 - first)
        self._primaries = nodes
        self._seeds = nodes
        self.fake = {node: FakeNode() for node in nodes}
        self.log = []

    def check(self, address: Address, command: list[bytes]) -> None:
        if command[0] == b"AI.CONFIG":
            return
        keys = command[1:2]
        if command[0] in MULTI_KEY:  # in this layout every key of a run carries a {tag}
            keys = command[1:] if command[0] == b"DEL" else [a for a in command if a[:1] == b"{"]
        slots = {hash_slot(key) for key in keys}
        assert len(slots) <= 1, f"CROSSSLOT {command}"
        for slot in slots:
            assert self._slots[slot] == address, f"MOVED {slot} for {command}"


class FakeStandalone(FakeRouting, StandaloneRouter):
    """One node."""

    def __init__(self) -> None:
        Router.__init__(self, RetryPolicy(), lambda level, message: None)
        self.address = Address("127.0.0.1", 6379)
        self.fake = {self.address: FakeNode()}
        self.log = []


def _store(router: Router) -> tuple[ModelStore, TensorStore]:
    tensors = TensorStore(router)
    return ModelStore(router, tensors), tensors


def _put(tensors: TensorStore, key: str, value: float) -> None:
    array, code = tensor_format.prepare(np.full((2, 3), value, dtype=np.float32))
    tensors.put(key, array, code)


def _get(tensors: TensorStore, key: str) -> np.ndarray:
    return tensors.from_value(key, tensors.get_values(key, key)[0])


@pytest.fixture
def cluster():
    return FakeCluster()


def test_a_cluster_store_puts_one_copy_per_range_and_asks_the_chunk_size_once(cluster):
    models, _ = _store(cluster)
    models.set_model("m1", b"0123456789ABCDEFGHIJ", "TORCH", "CPU", {})
    models.set_model("m2", b"MB2", "TF", "GPU:1", {"tag": "v1", "inputs": ["x"], "outputs": ["z"]})
    sent = cluster.sent()
    assert sent[0] == (0, [b"AI.CONFIG", b"GET", b"MODEL_CHUNK_SIZE"])
    stores = [(node, c) for node, c in sent if c[0] == b"AI.MODELSTORE"]
    assert stores[:3] == [
        (
            i,
            [b"AI.MODELSTORE", p + b"m1", b"TORCH", b"CPU", b"BLOB", b"01234567", b"89ABCDEF"]
            + [b"GHIJ"],
        )
        for i, p in enumerate((P0, P1, P2))
    ]
    assert stores[3][1] == argv(["AI.MODELSTORE", P0 + b"m2", "TF", "GPU:1", "TAG", "v1"]) + argv(
        ["INPUTS", 1, "x", "OUTPUTS", 1, "z", "BLOB", "MB2"]
    )
    assert sum(c[0] == b"AI.CONFIG" for _, c in sent) == 1


def test_reads_use_the_lowest_copy_and_deletes_remove_every_copy(cluster):
    models, _ = _store(cluster)
    models.set_model("m1", b"0123456789", "TORCH", "CPU", {})
    models.set_script("s1", "def f(x):\n    return x\n", "CPU")
    assert models.get_model("m1") == b"0123456789"  # chunks joined
    assert models.get_script("s1") == "def f(x):\n    return x\n"
    assert models.exists("m1") and not models.exists("nothing")
    reads = [c for node, c in cluster.sent() if c[0] in (b"AI.MODELGET", b"EXISTS")]
    assert reads[0] == [b"AI.MODELGET", P0 + b"m1", b"BLOB"]
    assert reads[1] == [b"EXISTS", P0 + b"m1"]
    del cluster.fake[Address("127.0.0.1", 7001)].data[P1 + b"m1"]
    with pytest.raises(ReplyError, match="model key is empty"):
        models.delete("m1", inference.model_del_command)
    assert not any(
        P2 + b"m1" in node.data or P0 + b"m1" in node.data for node in cluster.fake.values()
    )  # the other copies went anyway
    models.delete("s1", inference.script_del_command)
    assert [c[1] for _, c in cluster.sent() if c[0] == b"AI.SCRIPTDEL"] == [
        P0 + b"s1",
        P1 + b"s1",
        P2 + b"s1",
    ]


def _call_tmp(key: bytes) -> bytes:
    """A temporary key with its per-run id taken out: ``{P}.<name>.TMP``."""
    head, dot, call = key.rpartition(b".TMP")[0].rpartition(b".")
    assert dot and len(call) == 16, key
    return head + b".TMP"


def test_a_cluster_run_copies_through_tmp_keys_like_smartredis(cluster):
    models, tensors = _store(cluster)
    models.set_model("m1", b"M", "TORCH", "CPU", {})
    for index, name in enumerate("bcg"):  # b on the first range; c, g and z on the second
        _put(tensors, name, float(index))
    cluster.log.clear()
    models.run_model("m1", ["b", "c", "g"], ["z"])
    sent = [c for _, c in cluster.sent()]
    execute = next(c for c in sent if c[0] == b"AI.MODELEXECUTE")
    tmp = [P0 + name + b".TMP" for name in (b"b", b"c", b"g", b"z")]
    keys = [_call_tmp(k) if k.endswith(b".TMP") else k for k in execute]
    assert keys == [b"AI.MODELEXECUTE", P0 + b"m1", b"INPUTS", b"3", *tmp[:3]] + [
        b"OUTPUTS",
        b"1",
        tmp[3],
        b"TIMEOUT",
        b"60000000",
    ]
    (delete,) = [c for c in sent if c[0] == b"DEL"]
    assert [delete[0], *map(_call_tmp, delete[1:])] == [b"DEL", tmp[3], *tmp[:3]]
    assert set(delete[1:]) == {k for k in execute if k.endswith(b".TMP")}
    np.testing.assert_array_equal(_get(tensors, "z"), np.zeros((2, 3), dtype=np.float32))
    assert not any(key.endswith(b".TMP") for n in cluster.fake.values() for key in n.data)


def test_a_cluster_script_run_and_a_failed_run_leave_no_tmp_keys(cluster, monkeypatch):
    models, tensors = _store(cluster)
    models.set_script("s1", "def f(x):\n    return x\n", "CPU")
    _put(tensors, "c", 1.0)
    models.run_script("s1", "f", ["c"], ["y"])
    run = next(c for _, c in cluster.sent() if c[0] == b"AI.SCRIPTRUN")
    run = [_call_tmp(k) if k.endswith(b".TMP") else k for k in run]
    assert run == [b"AI.SCRIPTRUN", P1 + b"s1", b"f", b"INPUTS", P1 + b"c.TMP"] + [
        b"OUTPUTS",
        P1 + b"y.TMP",
    ]
    monkeypatch.setenv("SR_MODEL_TIMEOUT", "7")
    with pytest.raises(ReplyError, match="model key is empty"):
        models.run_model("nomodel", ["c"], ["y"])
    assert next(c for _, c in cluster.sent() if c[0] == b"AI.MODELEXECUTE")[-1] == b"7"
    assert not any(key.endswith(b".TMP") for n in cluster.fake.values() for key in n.data)


def test_a_missing_input_names_the_tensor(cluster):
    models, _ = _store(cluster)
    models.set_model("m1", b"M", "TORCH", "CPU", {})
    with pytest.raises(RedisRuntimeError, match="'missing_input'"):
        models.run_model("m1", ["missing_input"], ["y"])


def test_cluster_info_uses_the_nodes_copy_and_resets_after_reading(cluster):
    models, _ = _store(cluster)
    models.set_model("m1", b"M", "TORCH", "CPU", {})
    info = models.info(Address("127.0.0.1", 7001), "m1", reset=True)
    assert info == {"key": "m1", "type": "MODEL", "calls": "0"}
    assert [c for _, c in cluster.sent() if c[0] == b"AI.INFO"] == [
        [b"AI.INFO", P1 + b"m1"],
        [b"AI.INFO", P1 + b"m1", b"RESETSTAT"],
    ]


def test_chunk_size_is_set_on_every_node_and_then_not_asked(cluster):
    models, _ = _store(cluster)
    models.set_chunk_size(1000)
    models.set_model("m1", b"M", "TORCH", "CPU", {})
    configs = [(n, c) for n, c in cluster.sent() if c[0] == b"AI.CONFIG"]
    assert configs == [(i, [b"AI.CONFIG", b"MODEL_CHUNK_SIZE", b"1000"]) for i in range(3)]


def test_standalone_commands_use_plain_keys():
    router = FakeStandalone()
    models, tensors = _store(router)
    models.set_model("m1", b"M", "TORCH", "CPU", {})
    _put(tensors, "x", 2.0)
    models.run_model("m1", ["x"], ["y"])
    models.run_model("m1", [], [])
    assert models.info(router.address, "m1", reset=False)["key"] == "m1"
    sent = [c for _, c in router.sent() if c[0].startswith(b"AI.")]
    assert sent == [
        [b"AI.CONFIG", b"GET", b"MODEL_CHUNK_SIZE"],
        [b"AI.MODELSTORE", b"m1", b"TORCH", b"CPU", b"BLOB", b"M"],
        argv(["AI.MODELEXECUTE", "m1", "INPUTS", 1, "x", "OUTPUTS", 1, "y", "TIMEOUT", 60000000]),
        argv(["AI.MODELEXECUTE", "m1", "INPUTS", 0, "OUTPUTS", 0, "TIMEOUT", 60000000]),
        [b"AI.INFO", b"m1"],
    ]
    np.testing.assert_array_equal(_get(tensors, "y"), np.full((2, 3), 2.0, np.float32))


def test_a_chunk_size_reply_of_another_type_is_a_runtime_error(monkeypatch):
    router = FakeStandalone()
    models, _ = _store(router)
    node = router.fake[router.address]
    monkeypatch.setattr(node, "run", lambda args: b"535822336")
    with pytest.raises(RedisRuntimeError, match="unexpected type"):
        models.set_model("m1", b"M", "TORCH", "CPU", {})


class FakeClient(ModelMethods):
    """The model half of the Client API over a fake router."""

    def __init__(self, router: Router, keys: KeyBuilder | None = None) -> None:
        self._models = ModelStore(router, TensorStore(router))
        self._keys = keys or KeyBuilder()


def _ai(router: FakeRouting) -> list[list[bytes]]:
    return [c for _, c in router.sent() if c[0].startswith(b"AI.") and c[0] != b"AI.CONFIG"]


def test_multigpu_objects_are_stored_per_gpu_and_once_more_on_gpu():
    router = FakeStandalone()
    client = FakeClient(router)
    client.set_model_multigpu("mg", b"MG", "torch", 1, 2)
    client.set_script_multigpu("sg", "def f(x):\n    return x\n", 0, 1)
    client.run_model_multigpu("mg", 3, 1, 2, [], [])
    client.delete_model_multigpu("mg", 1, 2)
    client.delete_script_multigpu("sg", 0, 1)
    assert [c[:4] for c in _ai(router)] == [
        [b"AI.MODELSTORE", b"mg.GPU:1", b"TORCH", b"GPU:1"],
        [b"AI.MODELSTORE", b"mg.GPU:2", b"TORCH", b"GPU:2"],
        [b"AI.MODELSTORE", b"mg", b"TORCH", b"GPU"],
        [b"AI.SCRIPTSET", b"sg.GPU:0", b"GPU:0", b"SOURCE"],
        [b"AI.SCRIPTSET", b"sg", b"GPU", b"SOURCE"],
        [b"AI.MODELEXECUTE", b"mg.GPU:2", b"INPUTS", b"0"],
        [b"AI.MODELDEL", b"mg.GPU:1"],
        [b"AI.MODELDEL", b"mg.GPU:2"],
        [b"AI.MODELDEL", b"mg"],
        [b"AI.SCRIPTDEL", b"sg.GPU:0"],
        [b"AI.SCRIPTDEL", b"sg"],
    ]


def test_model_arguments_are_checked_as_smartredis_does():
    router = FakeStandalone()
    client = FakeClient(router)
    with pytest.raises(RedisRuntimeError, match="batch_size must be non-zero"):
        client.set_model("m", b"x", "TORCH", min_batch_size=2)
    with pytest.raises(RedisRuntimeError, match="min_batch_size must be non-zero"):
        client.set_model("m", b"x", "TORCH", batch_size=2, min_batch_timeout=5)
    with pytest.raises(ValueError, match="^INPUTS in the model set command is only valid for TF"):
        client.set_model("m", b"x", "TFLITE", inputs=["a"])
    with pytest.raises(ValueError, match="^OUTPUTS in the model set command"):
        client.set_model("m", b"x", "TORCH", outputs="a")
    with pytest.raises(TypeError, match="^Backend type CAFFE unsupported$"):
        client.set_model("m", b"x", "caffe")
    with pytest.raises(TypeError, match="^Device argument must start with either CPU or GPU$"):
        client.set_model("m", b"x", "caffe", device="TPU")  # the device is checked first
    with pytest.raises(RedisRuntimeError, match="CPUX is not a valid device."):
        client.set_model("m", b"x", "TORCH", device="cpux")
    with pytest.raises(ValueError, match="^name is a required parameter of set_model.$"):
        client.set_model("", b"x", "TORCH")
    with pytest.raises(TypeError, match="Argument was of type <class 'int'>"):
        client.set_model("m", b"x", "TORCH", inputs=3)
    with pytest.raises(ValueError, match="^num_gpus must be a positive integer.$"):
        client.set_model_multigpu("m", b"x", "TORCH", 0, 0)
    with pytest.raises(ValueError, match="^first_gpu must be a non-negative integer$"):
        client.set_model_multigpu("m", b"x", "TORCH", -1, 1)
    with pytest.raises(TypeError, match="num_gpus"):  # every type check comes first
        client.set_model_multigpu("m", b"x", "TORCH", -1, "2")
    with pytest.raises(TypeError, match="batch_size"):
        client.set_model_multigpu("m", b"x", "TORCH", -1, 0, batch_size=None)
    assert _ai(router) == []  # nothing reached the database


def test_only_smartredis_batching_checks_remain(capfd):
    router = FakeStandalone()
    client = FakeClient(router)
    client.set_model("neg", b"x", "TORCH", batch_size=-1)  # only positive values are sent
    client.set_model("big", b"x", "TORCH", batch_size=2, min_batch_size=4, min_batch_timeout=1)
    assert capfd.readouterr().err == ""
    client.set_model("warn", b"x", "TORCH", batch_size=4, min_batch_size=2)
    assert capfd.readouterr().err == (
        "WARNING: min_batch_timeout was not set when a non-zero min_batch_size was selected. \n"
        "Setting a small value (~10ms) for min_batch_timeout may improve performance\n"
    )
    sent = _ai(router)
    assert [c[1] for c in sent] == [b"neg", b"big", b"warn"]
    assert b"BATCHSIZE" not in sent[0] and b"MINBATCHSIZE" in sent[1]


def test_gpu_ranges_are_refused_before_anything_is_sent(tmp_path):
    router = FakeStandalone()
    client = FakeClient(router)
    script = "def f(x):\n    return x\n"
    (tmp_path / "s.txt").write_text(script)
    calls = [
        (lambda: client.set_script_multigpu("s", script, -1, 1), "integer."),
        (lambda: client.set_script_from_file_multigpu("s", str(tmp_path / "s.txt"), 0, 0), "."),
        (lambda: client.run_model_multigpu("m", 0, -1, 1), "integer."),
        (lambda: client.run_script_multigpu("s", "f", [], [], 0, -1, 1), "integer"),
        (lambda: client.delete_model_multigpu("m", -1, 1), "integer"),
        (lambda: client.delete_script_multigpu("s", 0, 0), "."),
    ]
    for call, ending in calls:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value).endswith(ending)
    assert router.sent() == []


def test_missing_files_raise_file_not_found_first(tmp_path):
    client = FakeClient(FakeStandalone())
    missing = str(tmp_path / "none.pt")
    with pytest.raises(FileNotFoundError, match="none.pt"):
        client.set_model_from_file("m", missing, "TORCH")
    with pytest.raises(FileNotFoundError):
        client.set_model_from_file_multigpu("m", missing, "TORCH", -1, 0)
    with pytest.raises(FileNotFoundError):
        client.set_script_from_file("s", missing)
    with pytest.raises(FileNotFoundError):
        client.set_script_from_file_multigpu("s", missing, -1, 0)
    with pytest.raises(TypeError, match="Device"):  # the device before the file
        client.set_model_from_file("m", missing, "TORCH", device="TPU")


def test_function_and_address_arguments():
    client = FakeClient(FakeStandalone())
    with pytest.raises(TypeError, match="^Argument provided for function, <class 'int'>, is not"):
        client.set_function("f", 3)
    with pytest.raises(TypeError, match="Device argument"):
        client.set_function("f", lambda x: x, device="TPU")
    with pytest.raises(TypeError, match="Argument address is of type <class 'str'>"):
        client.get_ai_info("127.0.0.1:6379", "m")


def test_functions_are_sent_as_dedented_source_and_devices_upper_cased():
    router = FakeStandalone()

    def negate(t):
        return -t

    FakeClient(router).set_function("neg", negate, device="gpu:1")
    assert _ai(router) == [
        [b"AI.SCRIPTSET", b"neg", b"GPU:1", b"SOURCE", b"def negate(t):\n    return -t\n"]
    ]


def test_model_keys_take_the_ensemble_prefix_only_when_asked():
    router = FakeStandalone()
    keys = KeyBuilder("ens1", ["ens1"])
    client = FakeClient(router, keys)
    client.set_model("plain", b"M", "TORCH")
    keys.use_model_prefix = True
    client.set_model("pm", b"M", "TORCH")
    client.run_model("pm", [], [])
    assert [c[1] for c in _ai(router)] == [b"plain", b"ens1.pm", b"ens1.pm"]
