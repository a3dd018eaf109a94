"""The errors SmartRedis raises, and the one table that maps server error replies to them.

Hierarchy (as SmartRedis 0.6): ``RedisReplyError`` (a ``RuntimeError``) with
``RedisRuntimeError``, ``RedisBadAllocError``, ``RedisDatabaseError``, ``RedisInternalError``,
``RedisTimeoutError`` and ``RedisKeyError``; ``RedisConnectionError`` (a ``RuntimeError``).
Bad arguments raise ``TypeError``/``ValueError``, as SmartRedis does.
"""

from __future__ import annotations

import typing as t
from os import environ

if t.TYPE_CHECKING:  # only an annotation: this module does not load the wire layer
    from smartredis.wire.protocol import ReplyError

__all__ = [
    "RedisConnectionError",
    "RedisReplyError",
    "RedisRuntimeError",
    "RedisBadAllocError",
    "RedisDatabaseError",
    "RedisInternalError",
    "RedisTimeoutError",
    "RedisKeyError",
]


class RedisConnectionError(RuntimeError):
    """The database could not be reached (at construction, or after losing it mid-command)."""

    def __init__(self, cpp_error: str = "") -> None:
        super().__init__(self._set_message(cpp_error))

    @staticmethod
    def _set_message(cpp_error: str) -> str:
        """SmartRedis's message: the error's own text and a newline, then the SSDB address
        (when set); ours name the address they tried in their own text."""
        message = f"{cpp_error}\n" if cpp_error else ""
        if "SSDB" in environ:
            message += f"Could not connect to Orchestrator at {environ['SSDB']}"
        return message


class RedisReplyError(RuntimeError):
    """Base of the errors from executing a command; the message starts with the API method."""

    def __init__(self, cpp_error: str, method: str = "", key: str = "") -> None:
        super().__init__(self._check_error(cpp_error, method, key))
        self.cpp_error = cpp_error
        self.method = method
        self.key = key

    @staticmethod
    def _check_error(cpp_error: str, method: str = "", key: str = "") -> str:
        prefix = f"{method} execution failed\n" if method else ""
        return prefix + cpp_error


class RedisRuntimeError(RedisReplyError):
    """A command failed (the server refused it, or the data was not what the call expects)."""


class RedisBadAllocError(RedisReplyError):
    """Memory ran out (client or server side)."""


class RedisDatabaseError(RedisReplyError):
    """The database is not in a state to serve the command (loading, cluster down, ...)."""


class RedisInternalError(RedisReplyError):
    """Something that should not happen did (a protocol or routing fault)."""


class RedisTimeoutError(RedisReplyError):
    """The database did not answer within the command timeout (SR_CMD_TIMEOUT)."""


class RedisKeyError(RedisReplyError):
    """A key, dataset, field or tensor that the call needs does not exist."""


class _MissingKeyRuntimeError(RedisKeyError, RedisRuntimeError):
    """A missing key where SmartRedis raised RedisRuntimeError: catchable as either class."""


class _ArgumentError(RedisRuntimeError, ValueError):
    """A bad argument value the client refuses: catchable as RedisRuntimeError or ValueError."""


# Server error replies -> classes, by error code and then by the start of the message
# (the shape of redis-py's EXCEPTION_CLASSES). Codes not listed map to RedisRuntimeError.
_REPLY_ERRORS: dict[str, type[RedisReplyError] | dict[str, type[RedisReplyError]]] = {
    "ERR": {
        "no such key": _MissingKeyRuntimeError,
        # RedisAI's (and our AI module's) missing-key replies
        "model key is empty": _MissingKeyRuntimeError,
        "script key is empty": _MissingKeyRuntimeError,
        "tensor key is empty": _MissingKeyRuntimeError,
        "cannot find run info for key": _MissingKeyRuntimeError,
        "string exceeds maximum allowed size": RedisBadAllocError,
        "Protocol error": RedisInternalError,
        "max number of clients reached": RedisDatabaseError,
    },
    "OOM": RedisBadAllocError,
    "WRONGTYPE": RedisRuntimeError,
    "LOADING": RedisDatabaseError,
    "BUSY": RedisDatabaseError,
    "MASTERDOWN": RedisDatabaseError,
    "CLUSTERDOWN": RedisDatabaseError,
    "READONLY": RedisDatabaseError,
    "MISCONF": RedisDatabaseError,
    "NOAUTH": RedisDatabaseError,
    "NOPERM": RedisDatabaseError,
    "TRYAGAIN": RedisTimeoutError,
    "CROSSSLOT": RedisInternalError,
    "MOVED": RedisInternalError,
    "ASK": RedisInternalError,
}


def reply_error_class(code: str, message: str) -> type[RedisReplyError]:
    """The class for a server error reply with this code (first word) and message (the rest)."""
    entry = _REPLY_ERRORS.get(code, RedisRuntimeError)
    if isinstance(entry, dict):
        for start, cls in entry.items():
            if message.startswith(start):
                return cls
        return RedisRuntimeError
    return entry


def from_reply(err: ReplyError, method: str = "") -> RedisReplyError:
    """The SmartRedis error for a server error reply, naming the command and key."""
    text = str(err)
    code, _, message = text.partition(" ")
    where = f"{err.command} on key {err.key!r}" if err.key else (err.command or "command")
    cls = reply_error_class(code, message)
    return cls(f"The database refused {where}: {text}", method, err.key or "")
