"""The stored tensor format (docs/tensor-format.md): known answers, round trips, bad values."""

from __future__ import annotations

import socket
import struct

import numpy as np
import pytest

from smartredis.wire import tensor as tensor_format
from smartredis.wire.protocol import Chunks, Reader, pack_command

DTYPES = ["float64", "float32", "int8", "int16", "int32", "int64", "uint8", "uint16"]


def _stored(array: np.ndarray) -> bytes:
    """The single stored value of ``array``, joined (tests only)."""
    prepared, code = tensor_format.prepare(array)
    values = tensor_format.encode(prepared, code)
    assert len(values) == 1
    return b"".join(bytes(part) for part in values[0])


def test_known_answer_float32_2x3():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = (
        b"SRTN"  # magic
        + bytes([1, 2, 2, 0])  # version 1, FLOAT (2), rank 2, pad
        + struct.pack("<II", 1, 0)  # one part, reserved
        + struct.pack("<QQ", 2, 3)  # dims
        + array.tobytes()  # C order, little-endian
    )
    assert _stored(array) == expected


def test_known_answer_scalar_int64():
    value = _stored(np.array(-2, dtype=np.int64))
    assert value == b"SRTN\x01\x06\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00" + struct.pack("<q", -2)


@pytest.mark.parametrize(("dtype", "code"), list(zip(DTYPES, range(1, 9), strict=True)))
def test_type_codes_are_smartredis_tensor_types(dtype, code):
    assert tensor_format.dtype_code(np.dtype(dtype)) == code
    assert tensor_format.numpy_type(code) is np.dtype(dtype).type


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 4), (2, 3, 4, 5), (0,), (4, 0, 2)])
def test_round_trip(dtype, shape):
    array = (np.arange(int(np.prod(shape))) % 100).astype(dtype).reshape(shape)
    value = _stored(array)
    header, part0 = tensor_format.from_value(value, "k")
    assert header.shape == shape and header.dtype == np.dtype(dtype) and header.nparts == 1
    assert header.size == 16 + 8 * len(shape)
    back = part0.view(header.dtype).reshape(header.shape)
    np.testing.assert_array_equal(back, array)


def test_fortran_and_strided_inputs_are_stored_c_ordered():
    c_order = np.arange(12, dtype=np.float64).reshape(3, 4)
    assert _stored(np.asfortranarray(c_order)) == _stored(c_order)
    assert _stored(c_order[:, ::2]) == _stored(np.ascontiguousarray(c_order[:, ::2]))


def test_big_endian_input_is_stored_little_endian():
    native = np.arange(5, dtype="<i4")
    assert _stored(native.astype(">i4")) == _stored(native)


def test_contiguous_input_is_not_copied():
    array = np.ones(100, dtype=np.float32)
    prepared, _ = tensor_format.prepare(array)
    assert prepared is array
    payload = tensor_format.encode(prepared, 2)[0][1]
    assert isinstance(payload, memoryview) and payload.obj is not None
    assert np.shares_memory(np.frombuffer(payload, dtype=np.uint8), array)


@pytest.mark.parametrize("dtype", ["bool", "float16", "complex64", "uint32", "uint64", "object"])
def test_unsupported_dtypes(dtype):
    with pytest.raises(TypeError, match="Incompatible tensor type"):
        tensor_format.prepare(np.zeros(2, dtype=dtype))


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (b"", "not a tensor"),
        (b"XXXX" + bytes(12), "not a tensor"),
        (b"SRTN\x02\x02\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00", "unknown format"),
        (b"SRTN\x01\x09\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00", "unknown format"),
        (b"SRTN\x01\x02\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02", "truncated"),
        (b"SRTN\x01\x02\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00" + struct.pack("<Q", 2), "part 0"),
    ],
)
def test_bad_values_name_the_key(value, match):
    with pytest.raises(tensor_format.TensorFormatError, match=match) as err:
        tensor_format.from_value(value, "the-key")
    assert "the-key" in str(err.value)


def test_parts_split_past_the_limit(monkeypatch):
    monkeypatch.setattr(tensor_format, "PART_BYTES", 16)
    array = np.arange(10, dtype=np.float32)  # 40 bytes -> 16 + 16 + 8
    values = tensor_format.encode(array, 2)
    assert len(values) == 3
    header = tensor_format.decode_header(bytes(values[0][0]), "k")
    assert header.nparts == 3
    assert [header.part_size(i) for i in range(3)] == [16, 16, 8]
    payload = b"".join(bytes(v) for v in values[1:])
    assert bytes(values[0][1]) + payload == array.tobytes()
    parts = [bytes(values[0][1]), bytes(values[1]), bytes(values[2])]
    np.testing.assert_array_equal(tensor_format.assemble(header, parts), array)


def test_part_keys_keep_the_hash_tag():
    assert tensor_format.part_key("{ds}.t", 2) == "{ds}.t#part2"
    assert tensor_format.part_key("plain", 1) == "plain#part1"


def test_nparts_for():
    assert tensor_format.nparts_for(0) == 1
    assert tensor_format.nparts_for(tensor_format.PART_BYTES) == 1
    assert tensor_format.nparts_for(tensor_format.PART_BYTES + 1) == 2
    assert tensor_format.nparts_for(1 << 30) == 3  # 1 GiB: parts of just under 512 MiB


def test_stored_nparts():
    value = _stored(np.zeros(3, dtype=np.int8))
    assert tensor_format.stored_nparts(value[:16]) == 1
    assert tensor_format.stored_nparts(b"") == 0
    assert tensor_format.stored_nparts(None) == 0
    assert tensor_format.stored_nparts(b"not a tensor at all") == 0


def test_a_tensor_travels_as_one_bulk_string_without_joining():
    big = np.zeros(100_000, dtype=np.float32)
    prepared, code = tensor_format.prepare(big)
    first = tensor_format.encode(prepared, code)[0]
    assert isinstance(first, Chunks)
    pieces = pack_command(("SET", "k", first))
    size = 16 + 8 + big.nbytes
    assert bytes(pieces[0]).endswith(b"$%d\r\n" % size)
    assert any(isinstance(p, memoryview) and p.nbytes == big.nbytes for p in pieces)
    assert (
        sum(len(bytes(p)) for p in pieces)
        == len(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n") + len(b"$%d\r\n" % size) + size + 2
    )


def _reader_with(data: bytes) -> tuple[Reader, socket.socket, socket.socket]:
    left, right = socket.socketpair()
    right.sendall(data)
    right.shutdown(socket.SHUT_WR)
    return Reader(left), left, right


@pytest.mark.parametrize("shape", [(), (7,), (3, 5)])
def test_stream_into_new_array(shape):
    array = np.arange(int(np.prod(shape)), dtype=np.int16).reshape(shape)
    value = _stored(array)
    reader, left, right = _reader_with(b"$%d\r\n%s\r\n" % (len(value), value))
    sink = tensor_format.StreamInto("k")
    try:
        reader.read_streamed(sink.first)
    finally:
        left.close()
        right.close()
    result = sink.result()
    np.testing.assert_array_equal(result, array)
    assert result.flags.writeable and result.flags.c_contiguous


def test_stream_into_callers_arrays():
    array = np.arange(12, dtype=np.float64).reshape(3, 4)
    value = b"$%d\r\n%s\r\n" % (len(_stored(array)), _stored(array))
    for target in (np.empty((3, 4)), np.empty(12), np.empty((3, 4), order="F")):
        reader, left, right = _reader_with(value)
        sink = tensor_format.StreamInto("k", target)
        reader.read_streamed(sink.first)
        assert sink.result() is target
        np.testing.assert_array_equal(target.reshape(3, 4), array)
        left.close()
        right.close()


@pytest.mark.parametrize(
    ("target", "match"),
    [
        (np.empty((3, 4), dtype=np.float32), "holds DOUBLE"),
        (np.empty((4, 3)), "shape"),
        (np.empty(11), "shape"),
    ],
)
def test_stream_into_rejects_mismatched_arrays(target, match):
    value = _stored(np.zeros((3, 4)))
    reader, left, right = _reader_with(b"$%d\r\n%s\r\n" % (len(value), value))
    with pytest.raises(tensor_format.TensorFormatError, match=match):
        reader.read_streamed(tensor_format.StreamInto("k", target).first)
    left.close()
    right.close()


def test_stream_into_rejects_read_only_arrays():
    target = np.empty(3)
    target.flags.writeable = False
    value = _stored(np.zeros(3))
    reader, left, right = _reader_with(b"$%d\r\n%s\r\n" % (len(value), value))
    with pytest.raises(tensor_format.TensorFormatError, match="read-only"):
        reader.read_streamed(tensor_format.StreamInto("k", target).first)
    left.close()
    right.close()
