"""Connection: one socket (TCP or Unix) to one server, commands in, replies out."""

from __future__ import annotations

import os
import select
import socket
import threading
import typing as t
from dataclasses import dataclass

from smartredis.wire.protocol import (
    Arg,
    Reader,
    Reply,
    ReplyError,
    T,
    pack_command,
    pack_commands,
    send_buffers,
)

PASSWORD_ENV = "SR_DB_PASSWORD"
"""The variable holding the secret of a password-protected database (``SR_DB_PASSWORD_<id>``
for the database ``<id>`` of several); the driver sets it for the processes it launches."""


@dataclass(frozen=True)
class Address:
    """Where a server listens: ``host``/``port`` for TCP, or ``path`` for a Unix socket."""

    host: str = ""
    port: int = 0
    path: str = ""

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse ``host:port``, ``[v6]:port``, ``tcp://host:port`` or ``unix:///path``.

        :raises ValueError: the text is not an address
        """
        raw = text.strip()
        if raw.startswith("unix://"):
            path = raw[len("unix://") :]
            if not path:
                raise ValueError(f"Address {text!r} names no socket path")
            return cls(path=path)
        if raw.startswith("tcp://"):
            raw = raw[len("tcp://") :]
        if raw.startswith("/"):
            return cls(path=raw)
        host, sep, port = raw.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"Address {text!r} is not host:port or unix:///path")
        return cls(host=host.strip("[]"), port=int(port))

    def __str__(self) -> str:
        if self.path:
            return f"unix://{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class Connection:
    """A blocking connection; every call raises OSError subclasses on socket failure.

    :param password: sent with AUTH on every connect; "" for none, None for the value of
        ``SR_DB_PASSWORD`` (how an inference worker, started with it set, reaches its server)
    """

    def __init__(
        self, address: Address | str, timeout: float | None = 10.0, password: str | None = None
    ) -> None:
        self.address = Address.parse(address) if isinstance(address, str) else address
        self._timeout = timeout
        self._password = os.environ.get(PASSWORD_ENV, "") if password is None else password
        self._sock: socket.socket | None = None
        self._reader: Reader | None = None
        self.sends = 0
        """How many commands (or pipelines) were handed to the socket, over reconnects."""
        self.lock = threading.Lock()
        """Held by whoever uses the connection, for a whole exchange (connect, send, read the
        reply), so that threads sharing it never mix their replies up; the methods here do
        not take it (a Router does)."""

    def connect(self, timeout: float | None = None) -> None:
        """Open the socket (``timeout`` bounds the connect itself), and authenticate.

        :raises ReplyError: the server refused the password (WRONGPASS, or none configured)
        """
        self.close()
        limit = self._timeout if timeout is None else timeout
        if self.address.path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(limit)
            try:
                sock.connect(self.address.path)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((self.address.host, self.address.port), limit)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self._timeout)
        self._sock = sock
        self._reader = Reader(sock)
        if self._password:
            try:
                send_buffers(sock, pack_command(("AUTH", self._password)))
                reply = self._reader.read()
            except BaseException:
                self.close()
                raise
            if isinstance(reply, ReplyError):
                self.close()
                raise reply

    @property
    def connected(self) -> bool:
        """Whether a socket is open."""
        return self._sock is not None

    def close(self) -> None:
        """Close the socket, if open."""
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._reader = None

    def closed_by_peer(self) -> bool:
        """Whether the server closed this idle connection (or sent bytes nobody asked for),
        seen without blocking: a command sent on it would be lost."""
        if self._sock is None:
            return False
        poller = select.poll()
        poller.register(self._sock, select.POLLIN)
        return bool(poller.poll(0))

    def _ensure(self) -> tuple[socket.socket, Reader]:
        if self._sock is None or self._reader is None:
            self.connect()
        assert self._sock is not None and self._reader is not None
        return self._sock, self._reader

    def execute(self, *args: Arg) -> Reply:
        """Send one command and return its reply.

        :raises ReplyError: the server answered with an error
        """
        return self.execute_streamed(args, None)

    def execute_streamed(
        self, args: t.Sequence[Arg], consume: t.Callable[[Reader, int], T] | None
    ) -> T | Reply:
        """Send one command; a bulk-string reply goes to ``consume`` (see Reader.read_streamed).

        :raises ReplyError: the server answered with an error
        """
        sock, reader = self._ensure()
        self.sends += 1
        try:
            send_buffers(sock, pack_command(args))
            reply = reader.read() if consume is None else reader.read_streamed(consume)
        except BaseException:
            self.close()  # the stream position is unknown now
            raise
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def pipeline(self, commands: t.Sequence[t.Sequence[Arg]]) -> list[Reply]:
        """Send several commands at once; replies in order, errors returned as ReplyError."""
        sock, reader = self._ensure()
        self.sends += 1
        try:
            send_buffers(sock, pack_commands(commands))
            return [reader.read() for _ in commands]
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
