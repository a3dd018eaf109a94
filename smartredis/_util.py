"""Argument checks and the API decorator that turns internal failures into smartredis errors."""

from __future__ import annotations

import functools
import typing as t

from smartredis.error import (
    RedisConnectionError,
    RedisInternalError,
    RedisReplyError,
    RedisRuntimeError,
    RedisTimeoutError,
    from_reply,
)
from smartredis.wire.protocol import ProtocolError, ReplyError
from smartredis.wire.retry import AddressError, ServerTimeout, ServerUnavailable
from smartredis.wire.tensor import TensorFormatError

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def typecheck(arg: object, name: str, expected: type | tuple[type, ...]) -> None:
    """Raise TypeError (worded as SmartRedis does) unless ``arg`` is an ``expected``."""
    if not isinstance(arg, expected) or (isinstance(arg, bool) and expected is int):
        raise TypeError(f"Argument {name} is of type {type(arg)}, not {expected}")


def check_name(value: str, name: str) -> None:
    """Raise ValueError if a key or field name is empty."""
    if not value:
        raise ValueError(f"Argument {name} must not be an empty string")


def api(func: F) -> F:
    """Wrap a public method: errors name the method, and internal ones become smartredis ones.

    Server error replies map through the table in :mod:`smartredis.error`; a database that
    cannot be reached gives RedisConnectionError, one that stops answering RedisTimeoutError.
    The method is named ``<class>.<function>``, the class being that of the first argument
    (or the first argument itself when it is a class: a classmethod).
    """

    @functools.wraps(func)
    def wrapper(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        def method() -> str:
            owner = self if isinstance(self, type) else type(self)
            return f"{owner.__name__}.{func.__name__}"

        try:
            return func(self, *args, **kwargs)
        except RedisReplyError as exc:
            if exc.method:
                raise
            new = type(exc)(exc.cpp_error, method(), exc.key)
            raise new.with_traceback(exc.__traceback__) from exc.__cause__
        except ReplyError as exc:
            raise from_reply(exc, method()) from None
        except (ServerUnavailable, AddressError) as exc:
            raise RedisConnectionError(str(exc)) from exc
        except ServerTimeout as exc:
            raise RedisTimeoutError(str(exc), method()) from exc
        except TensorFormatError as exc:
            raise RedisRuntimeError(str(exc), method()) from None
        except ProtocolError as exc:
            raise RedisInternalError(f"Protocol error: {exc}", method()) from exc

    return t.cast(F, wrapper)
