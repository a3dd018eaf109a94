"""The driver <-> Dragon server protocol: one JSON object per line on a Unix socket.

Requests (driver -> server): ``{"op": "run", "argv": [...]}`` (optionally ``"env"``, variables
set on top of the runtime's environment) answered by
``{"event": "started", "puid": "..."}`` or ``{"event": "error", "message": "..."}``;
``{"op": "stop", "ids": [...], "grace": s}``; ``{"op": "shutdown"}``.
Events (server -> driver): ``{"event": "exit", "id": "...", "rc": n}`` when a process ends.
"""

from __future__ import annotations

import json
import socket
import typing as t

Message = dict[str, t.Any]
SOCKET_NAME = "dragon.sock"


def encode(message: Message) -> bytes:
    """One message as a line of JSON."""
    return json.dumps(message).encode() + b"\n"


def read_messages(sock: socket.socket) -> t.Iterator[Message]:
    """Messages from the socket until it closes."""
    with sock.makefile("rb") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)
