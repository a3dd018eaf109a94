"""The RESP2 reply parser: every reply type, nesting, replies split across reads, bad input."""

from __future__ import annotations

import pytest

from smartredis.wire.protocol import ProtocolError, Reader, ReplyError, pack_command

BIG = 64 * 1024 + 3
"""A bulk reply longer than the parser's inline limit: it is read into its own buffer."""


class ChunkedSocket:
    """A socket stand-in whose reads return at most ``chunk`` bytes: a reply split anywhere."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self._data = data
        self._pos = 0
        self._chunk = chunk

    def _take(self, size: int) -> bytes:
        out = self._data[self._pos : self._pos + min(size, self._chunk)]
        self._pos += len(out)
        return out

    def recv(self, size: int) -> bytes:
        return self._take(size)

    def recv_into(self, view: memoryview) -> int:
        out = self._take(view.nbytes)
        view[: len(out)] = out
        return len(out)


def reader(data: bytes, chunk: int = 1 << 20) -> Reader:
    """A Reader of ``data``, which arrives ``chunk`` bytes per read."""
    return Reader(ChunkedSocket(data, chunk))  # type: ignore[arg-type]


def same(got: object, want: object) -> bool:
    """Equality that compares error replies by message and bulk strings by their bytes."""
    if isinstance(want, (bytes, bytearray)):
        return isinstance(got, (bytes, bytearray)) and got == want
    if isinstance(want, ReplyError):
        return type(got) is ReplyError and str(got) == str(want)
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(same(g, w) for g, w in zip(got, want, strict=True))
        )
    return type(got) is type(want) and got == want


REPLIES = [
    (b"+OK\r\n", "OK"),
    (b"+\r\n", ""),
    (b"-ERR unknown command 'FOO'\r\n", ReplyError("ERR unknown command 'FOO'")),
    (b":0\r\n", 0),
    (b":-42\r\n", -42),
    (b":9223372036854775807\r\n", 2**63 - 1),
    (b"$5\r\nhello\r\n", b"hello"),
    (b"$0\r\n\r\n", b""),
    (b"$4\r\na\r\nb\r\n", b"a\r\nb"),
    (b"$-1\r\n", None),
    (b"*-1\r\n", None),
    (b"*0\r\n", []),
    (b"*3\r\n:1\r\n$1\r\nx\r\n+y\r\n", [1, b"x", "y"]),
    (
        b"*3\r\n*2\r\n:1\r\n*1\r\n$-1\r\n*0\r\n-MOVED 3999 127.0.0.1:6381\r\n",
        [[1, [None]], [], ReplyError("MOVED 3999 127.0.0.1:6381")],
    ),
    (b"$%d\r\n%s\r\n" % (BIG, b"z" * BIG), b"z" * BIG),
    (b"*2\r\n$%d\r\n%s\r\n:7\r\n" % (BIG, b"q" * BIG), [b"q" * BIG, 7]),
]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
@pytest.mark.parametrize(("wire", "want"), REPLIES)
def test_reply_split_into_reads_of_any_size(wire: bytes, want: object, chunk: int) -> None:
    got = reader(wire, chunk).read()
    assert same(got, want), got


@pytest.mark.parametrize("chunk", [1, 5, 1 << 20])
def test_pipelined_replies_read_one_after_another(chunk: int) -> None:
    stream = b"".join(wire for wire, _ in REPLIES)
    parse = reader(stream, chunk)
    for _, want in REPLIES:
        got = parse.read()
        assert same(got, want), got


def test_error_reply_is_returned_with_its_code() -> None:
    got = reader(b"-WRONGTYPE Operation against a key\r\n").read()
    assert isinstance(got, ReplyError) and got.code == "WRONGTYPE"
    assert str(got) == "WRONGTYPE Operation against a key"


@pytest.mark.parametrize("chunk", [1, 4, 1 << 20])
def test_packed_command_parses_as_an_array_of_bulk_strings(chunk: int) -> None:
    big = memoryview(b"t" * BIG)
    wire = b"".join(bytes(piece) for piece in pack_command(["SET", "k", 12, big]))
    got = reader(wire, chunk).read()
    assert same(got, [b"SET", b"k", b"12", bytes(big)]), got


@pytest.mark.parametrize(
    ("wire", "match"),
    [
        (b"?what\r\n", "Unknown reply type"),
        (b"\r\n", "Empty reply line"),
        (b"+OK", "closed the connection"),
        (b"$5\r\nhel", "closed the connection"),
        (b"*2\r\n:1\r\n", "closed the connection"),
        (b"$%d\r\n%s" % (BIG, b"z" * 100), "closed the connection mid-reply"),
        (b"", "closed the connection"),
    ],
)
def test_bad_or_cut_replies_raise_protocol_error(wire: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        reader(wire, 3).read()


def test_streamed_bulk_goes_to_the_consumer_in_place() -> None:
    target = bytearray(10)

    def consume(parse: Reader, size: int) -> int:
        parse.read_into(memoryview(target)[:size])
        return size

    parse = reader(b"$6\r\nabcdef\r\n:5\r\n", 2)
    assert parse.read_streamed(consume) == 6
    assert target[:6] == b"abcdef"
    assert parse.read() == 5


@pytest.mark.parametrize(("wire", "want"), [(b"$-1\r\n", None), (b":3\r\n", 3), (b"+OK\r\n", "OK")])
def test_streamed_read_of_other_replies_parses_them(wire: bytes, want: object) -> None:
    def consume(parse: Reader, size: int) -> None:
        raise AssertionError("only bulk strings are streamed")

    assert reader(wire).read_streamed(consume) == want


def test_streamed_bulk_longer_than_consumed_is_a_protocol_error() -> None:
    def consume(parse: Reader, size: int) -> None:
        parse.read_into(memoryview(bytearray(size - 1)))

    with pytest.raises(ProtocolError, match="did not end where its length said"):
        reader(b"$3\r\nabc\r\n").read_streamed(consume)
