"""The AI.* command builders, reply helpers and cluster prefixes of smartredis.wire.inference.

Known answers are what the official SmartRedis 0.6.1 client sent to a logging fake server
(docs: /work/facts/smartredis-commands.md; the 3-byte prefixes were traced the same way with
CLUSTER SLOTS ranges starting at slots 9 and 51).
"""

from __future__ import annotations

import pytest

from smartredis.wire import inference
from smartredis.wire.protocol import Chunks, ReplyError
from smartredis.wire.slots import SLOTS, crc16, hash_slot


def argv(command) -> list[bytes]:
    """A command as the bytes the server receives."""
    out = []
    for arg in command:
        if isinstance(arg, Chunks):
            out.append(b"".join(bytes(part) for part in arg))
        elif isinstance(arg, (bytes, bytearray, memoryview)):
            out.append(bytes(arg))
        else:
            out.append(str(arg).encode())
    return out


def words(text: str) -> list[bytes]:
    return [word.encode() for word in text.split()]


# -- cluster prefixes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("slot", "prefix"),
    [
        (0, b"\x00\x00"),
        (5461, b"8M"),
        (10922, b"p\x9a"),
        (9, b"\x01&\\"),  # the 2-byte inverse has a brace: 3 bytes, as SmartRedis 0.6.1
        (51, b"\x01m\xd8"),
    ],
)
def test_shard_prefix_known_answers(slot, prefix):
    assert inference.shard_prefix(slot) == prefix


def test_crc16_inverse_gives_the_remainder_back():
    for remainder in (0, 1, 5461, 10922, 16383, 0xFFFF):
        inverse = inference.crc16_inverse(remainder)
        assert inverse & 0xFFFF == 0
        assert crc16((inverse >> 16).to_bytes(2, "big")) == remainder


def test_every_slot_has_a_brace_free_prefix_that_hashes_to_it():
    for slot in range(SLOTS):
        prefix = inference.shard_prefix(slot)
        assert b"{" not in prefix and b"}" not in prefix and len(prefix) in (2, 3)
        assert hash_slot(inference.shard_key(prefix, "model")) == slot
        assert hash_slot(inference.tmp_key(prefix, "{ds}.t")) == slot


def test_shard_prefix_rejects_slots_out_of_range():
    with pytest.raises(ValueError, match="16384"):
        inference.shard_prefix(16385)


def test_shard_and_tmp_keys():
    assert inference.shard_key(b"\x00\x00", "m1") == b"{\x00\x00}.m1"
    assert inference.shard_key(b"8M", "ens1.pm") == b"{8M}.ens1.pm"
    assert inference.tmp_key(b"p\x9a", "t1") == b"{p\x9a}.t1.TMP"


@pytest.mark.parametrize(
    ("value", "stripped"),
    [
        (b"{\x00\x00}.m1", b"m1"),
        (b"{8M}.m.GPU:0", b"m.GPU:0"),
        (b"m1", b"m1"),
        (b"{ds}", b"{ds}"),
    ],
)
def test_strip_shard_prefix(value, stripped):
    assert inference.strip_shard_prefix(value) == stripped


# -- command builders -------------------------------------------------------------------------
def test_model_store_plain():
    command = inference.model_store_command("m1", "TORCH", "CPU", b"MODELBYTES", 1 << 20)
    assert argv(command) == words("AI.MODELSTORE m1 TORCH CPU BLOB MODELBYTES")


def test_model_store_with_every_option():
    command = inference.model_store_command(
        "m2",
        "TF",
        "GPU:1",
        b"MB2",
        1 << 20,
        tag="v1",
        batch_size=8,
        min_batch_size=2,
        min_batch_timeout=100,
        inputs=["x", "y"],
        outputs=["z"],
    )
    assert argv(command) == words(
        "AI.MODELSTORE m2 TF GPU:1 TAG v1 BATCHSIZE 8 MINBATCHSIZE 2 MINBATCHTIMEOUT 100 "
        "INPUTS 2 x y OUTPUTS 1 z BLOB MB2"
    )


def test_model_store_sends_only_options_that_are_set():
    command = inference.model_store_command("m3", "ONNX", "GPU", b"MB3", 1 << 20, batch_size=4)
    assert argv(command) == words("AI.MODELSTORE m3 ONNX GPU BATCHSIZE 4 BLOB MB3")


def test_model_store_chunks_the_model():
    command = inference.model_store_command("mbig", "TORCH", "CPU", b"0123456789ABCDEFGHIJ", 8)
    assert argv(command) == words("AI.MODELSTORE mbig TORCH CPU BLOB 01234567 89ABCDEF GHIJ")


def test_model_store_of_an_empty_model_sends_no_chunk():
    assert argv(inference.model_store_command("e", "TORCH", "CPU", b"", 8))[-1] == b"BLOB"


def test_model_store_takes_binary_keys():
    command = inference.model_store_command(b"{\x00\x00}.m1", "TORCH", "CPU", b"M", 8)
    assert argv(command)[1] == b"{\x00\x00}.m1"


def test_model_execute():
    command = inference.model_execute_command("m1", ["t1"], ["out1"], 60000000)
    assert argv(command) == words("AI.MODELEXECUTE m1 INPUTS 1 t1 OUTPUTS 1 out1 TIMEOUT 60000000")
    command = inference.model_execute_command("m1", [], [], 5)
    assert argv(command) == words("AI.MODELEXECUTE m1 INPUTS 0 OUTPUTS 0 TIMEOUT 5")


def test_script_commands():
    source = "def f(x):\n    return x\n"
    assert argv(inference.script_set_command("s1", "CPU", source)) == [
        b"AI.SCRIPTSET",
        b"s1",
        b"CPU",
        b"SOURCE",
        source.encode(),
    ]
    assert argv(inference.script_get_command("s1")) == words("AI.SCRIPTGET s1 SOURCE")
    assert argv(inference.script_del_command("s1")) == words("AI.SCRIPTDEL s1")
    command = inference.script_run_command("s1", "f", ["t1", "t_int8"], ["so1", "so2"])
    assert argv(command) == words("AI.SCRIPTRUN s1 f INPUTS t1 t_int8 OUTPUTS so1 so2")
    assert argv(inference.script_run_command("s", "f", [], [])) == words(
        "AI.SCRIPTRUN s f INPUTS OUTPUTS"
    )


def test_model_get_del_info_and_config_commands():
    assert argv(inference.model_get_command("m1")) == words("AI.MODELGET m1 BLOB")
    assert argv(inference.model_del_command("m1")) == words("AI.MODELDEL m1")
    assert argv(inference.info_command("m1")) == words("AI.INFO m1")
    assert argv(inference.info_command("m1", reset=True)) == words("AI.INFO m1 RESETSTAT")
    assert argv(inference.chunk_size_get_command()) == words("AI.CONFIG GET MODEL_CHUNK_SIZE")
    assert argv(inference.chunk_size_set_command(8)) == words("AI.CONFIG MODEL_CHUNK_SIZE 8")


def test_model_timeout_from_the_environment():
    assert inference.model_timeout({}) == 60000000
    assert inference.model_timeout({"SR_MODEL_TIMEOUT": "1500"}) == 1500
    with pytest.raises(ValueError, match="SR_MODEL_TIMEOUT"):
        inference.model_timeout({"SR_MODEL_TIMEOUT": "soon"})


# -- replies ----------------------------------------------------------------------------------
def test_model_from_reply_joins_chunks():
    assert inference.model_from_reply(b"MODEL") == b"MODEL"
    assert inference.model_from_reply([b"01234567", bytearray(b"89ABCDEF"), b""]) == (
        b"0123456789ABCDEF"
    )
    with pytest.raises(ReplyError):
        inference.model_from_reply(ReplyError("ERR model key is empty"))
    with pytest.raises(ValueError):
        inference.model_from_reply(3)


def test_script_from_reply():
    assert inference.script_from_reply(b"def f(x):\n    return x\n") == "def f(x):\n    return x\n"
    with pytest.raises(ValueError):
        inference.script_from_reply("OK")


def test_chunk_size_from_reply_needs_an_integer():
    assert inference.chunk_size_from_reply(535822336) == 535822336
    with pytest.raises(ValueError, match="unexpected type"):
        inference.chunk_size_from_reply(b"535822336")
    with pytest.raises(ValueError, match="negative"):
        inference.chunk_size_from_reply(-1)


def _info_reply(key: bytes) -> list:
    return [
        b"key",
        key,
        b"type",
        b"MODEL",
        b"backend",
        b"TORCH",
        b"device",
        b"CPU",
        b"tag",
        b"",
        b"duration",
        12,
        b"samples",
        5,
        b"calls",
        1,
        b"errors",
        0,
    ]


def test_info_from_reply_gives_strings_as_smartredis():
    assert inference.info_from_reply(_info_reply(b"m1"), strip_prefix=False) == {
        "key": "m1",
        "type": "MODEL",
        "backend": "TORCH",
        "device": "CPU",
        "tag": "",
        "duration": "12",
        "samples": "5",
        "calls": "1",
        "errors": "0",
    }


def test_info_from_reply_strips_shard_prefixes_in_a_cluster():
    info = inference.info_from_reply(_info_reply(b"{p\x9a}.m1"), strip_prefix=True)
    assert info["key"] == "m1"


def test_info_from_reply_rejects_other_shapes():
    with pytest.raises(ValueError):
        inference.info_from_reply("OK", strip_prefix=False)
    with pytest.raises(ValueError):
        inference.info_from_reply([b"key"], strip_prefix=False)
