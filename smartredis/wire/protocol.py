"""RESP2 command packing and reply parsing over a buffered socket reader.

Large arguments (tensor bytes) are passed to the socket as they are, beside small headers,
so a command is sent with one ``sendmsg`` and without joining copies of big buffers.
Large bulk replies are read straight into one preallocated buffer.
"""

from __future__ import annotations

import socket
import typing as t

Buffer = bytes | bytearray | memoryview
Reply = t.Union[bytes, bytearray, int, str, None, list[t.Any], "ReplyError"]
T = t.TypeVar("T")


class Chunks(tuple[Buffer, ...]):
    """One bulk argument made of several buffers, sent back to back and never joined.

    A tensor travels as ``Chunks((header, payload))``: the server sees one string.
    """


Arg = bytes | bytearray | memoryview | str | int | float | Chunks

CRLF = b"\r\n"
_INLINE_LIMIT = 16 * 1024
"""Arguments up to this size are copied into the header buffer; larger ones pass through."""
_RECV_SIZE = 64 * 1024


class ReplyError(Exception):
    """An error reply from the server (``-ERR ...``); the message is the server's text.

    The router fills ``command`` and ``key`` when it raises one, for error messages.
    """

    command: str = ""
    key: str = ""

    @property
    def code(self) -> str:
        """The error code: the first word of the reply (``ERR``, ``MOVED``, ``WRONGTYPE``...)."""
        return str(self).split(" ", 1)[0]


class ProtocolError(Exception):
    """The server sent bytes that are not RESP2, or the connection closed mid-reply."""


def _as_buffer(arg: Arg) -> Buffer:
    if isinstance(arg, (bytes, bytearray)):
        return arg
    if isinstance(arg, memoryview):
        return arg if arg.format == "B" and arg.ndim == 1 else arg.cast("B")
    if isinstance(arg, str):
        return arg.encode()
    if isinstance(arg, bool):
        raise TypeError("A bool is not a valid Redis command argument")
    if isinstance(arg, int):
        return b"%d" % arg
    if isinstance(arg, float):
        return repr(arg).encode()
    raise TypeError(f"Cannot send a {type(arg).__name__} as a Redis command argument")


def _nbytes(buf: Buffer) -> int:
    return buf.nbytes if isinstance(buf, memoryview) else len(buf)


def pack_command(args: t.Sequence[Arg]) -> list[Buffer]:
    """The buffers that make up one command; big arguments are not copied."""
    pieces: list[Buffer] = []
    head = bytearray(b"*%d\r\n" % len(args))
    for arg in args:
        bufs = [_as_buffer(b) for b in arg] if isinstance(arg, Chunks) else [_as_buffer(arg)]
        size = sum(_nbytes(b) for b in bufs)
        head += b"$%d\r\n" % size
        if size > _INLINE_LIMIT:
            pieces.append(head)
            pieces.extend(bufs)
            head = bytearray(CRLF)
        else:
            for buf in bufs:
                head += buf
            head += CRLF
    pieces.append(head)
    return pieces


def pack_commands(commands: t.Iterable[t.Sequence[Arg]]) -> list[Buffer]:
    """The buffers of several commands, for a pipeline."""
    pieces: list[Buffer] = []
    for args in commands:
        pieces.extend(pack_command(args))
    return pieces


def send_buffers(sock: socket.socket, buffers: list[Buffer]) -> None:
    """Send all buffers with scatter-gather writes, resuming after partial sends."""
    views = [memoryview(b).cast("B") if not isinstance(b, memoryview) else b for b in buffers]
    views = [v for v in views if v.nbytes]
    while views:
        sent = sock.sendmsg(views[:512])
        while sent:
            first = views[0]
            if sent >= first.nbytes:
                sent -= first.nbytes
                views.pop(0)
            else:
                views[0] = first[sent:]
                sent = 0


class Reader:
    """Parses replies from a socket, keeping unread bytes between calls."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()
        self._pos = 0

    def _fill(self) -> None:
        chunk = self._sock.recv(_RECV_SIZE)
        if not chunk:
            raise ProtocolError("The server closed the connection")
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += chunk

    def _line(self) -> bytes:
        while True:
            end = self._buf.find(CRLF, self._pos)
            if end >= 0:
                line = bytes(self._buf[self._pos : end])
                self._pos = end + 2
                return line
            self._fill()

    def _exact(self, size: int) -> bytes | bytearray:
        """``size`` bytes followed by CRLF; large ones land in one new buffer."""
        have = len(self._buf) - self._pos
        if have >= size + 2:
            data = bytes(self._buf[self._pos : self._pos + size])
            self._pos += size + 2
            return data
        if size <= _INLINE_LIMIT:
            while len(self._buf) - self._pos < size + 2:
                self._fill()
            return self._exact(size)
        out = bytearray(size + 2)
        take = min(have, size + 2)
        out[:take] = self._buf[self._pos : self._pos + take]
        self._pos += take
        got = take
        with memoryview(out) as view:
            while got < size + 2:
                n = self._sock.recv_into(view[got:])
                if not n:
                    raise ProtocolError("The server closed the connection mid-reply")
                got += n
        del out[size:]
        return out

    def read_into(self, view: memoryview) -> None:
        """Fill ``view`` (bytes ``'B'``) with the next bytes of the reply being streamed."""
        size = view.nbytes
        have = min(len(self._buf) - self._pos, size)
        if have:
            view[:have] = self._buf[self._pos : self._pos + have]
            self._pos += have
        got = have
        while got < size:
            n = self._sock.recv_into(view[got:])
            if not n:
                raise ProtocolError("The server closed the connection mid-reply")
            got += n

    def read_streamed(self, consume: t.Callable[[Reader, int], T]) -> T | Reply:
        """One reply; a bulk string is handed to ``consume(reader, size)`` instead of parsed.

        ``consume`` must take exactly ``size`` bytes with :meth:`read_into`, so that big
        values land straight in their final buffer. Other replies return as in :meth:`read`.
        """
        line = self._line()
        if line[:1] == b"$" and not line.startswith(b"$-"):
            result = consume(self, int(line[1:]))
            if self._line():
                raise ProtocolError("A bulk reply did not end where its length said")
            return result
        return self._parse(line)

    def read(self) -> Reply:
        """One reply; an error reply is returned (not raised) as a ReplyError."""
        return self._parse(self._line())

    def _parse(self, line: bytes) -> Reply:
        if not line:
            raise ProtocolError("Empty reply line")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return ReplyError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exact(size)
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.read() for _ in range(count)]
        raise ProtocolError(f"Unknown reply type {line[:20]!r}")
