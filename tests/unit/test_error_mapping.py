"""The smartredis.error hierarchy, the reply-error table and the API decorator."""

from __future__ import annotations

import pytest

import smartredis.error as err
from smartredis._util import api, check_name, typecheck
from smartredis.wire.protocol import ProtocolError, ReplyError
from smartredis.wire.retry import AddressError, ServerTimeout, ServerUnavailable
from smartredis.wire.tensor import TensorFormatError


@pytest.mark.parametrize(
    "cls",
    [
        err.RedisRuntimeError,
        err.RedisBadAllocError,
        err.RedisDatabaseError,
        err.RedisInternalError,
        err.RedisTimeoutError,
        err.RedisKeyError,
    ],
)
def test_reply_errors_are_runtime_errors(cls):
    assert issubclass(cls, err.RedisReplyError)
    assert issubclass(cls, RuntimeError)


def test_connection_error_is_not_a_reply_error():
    assert issubclass(err.RedisConnectionError, RuntimeError)
    assert not issubclass(err.RedisConnectionError, err.RedisReplyError)


def test_public_names():
    assert sorted(err.__all__) == sorted(
        [
            "RedisConnectionError",
            "RedisReplyError",
            "RedisRuntimeError",
            "RedisBadAllocError",
            "RedisDatabaseError",
            "RedisInternalError",
            "RedisTimeoutError",
            "RedisKeyError",
        ]
    )


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        ("ERR no such key", err.RedisKeyError),
        ("ERR string exceeds maximum allowed size (proto-max-bulk-len)", err.RedisBadAllocError),
        ("ERR unknown command 'FOO'", err.RedisRuntimeError),
        (
            "WRONGTYPE Operation against a key holding the wrong kind of value",
            err.RedisRuntimeError,
        ),
        ("OOM command not allowed when used memory > 'maxmemory'.", err.RedisBadAllocError),
        ("LOADING Redis is loading the dataset in memory", err.RedisDatabaseError),
        ("CLUSTERDOWN The cluster is down", err.RedisDatabaseError),
        ("CROSSSLOT Keys in request don't hash to the same slot", err.RedisInternalError),
        ("TRYAGAIN Multiple keys request during rehashing of slot", err.RedisTimeoutError),
        ("NEWCODE something", err.RedisRuntimeError),
    ],
)
def test_reply_table(reply, cls):
    code, _, message = reply.partition(" ")
    assert issubclass(err.reply_error_class(code, message), cls)


@pytest.mark.parametrize(
    "message",
    [
        "no such key",
        "model key is empty",
        "script key is empty",
        "tensor key is empty or in a different shard",
        "cannot find run info for key",
    ],
)
def test_missing_key_errors_are_also_runtime_errors_as_in_smartredis(message):
    cls = err.reply_error_class("ERR", message)
    assert issubclass(cls, err.RedisKeyError) and issubclass(cls, err.RedisRuntimeError)


def test_from_reply_names_command_and_key():
    reply = ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")
    reply.command, reply.key = "GET", "{ds}.meta"
    mapped = err.from_reply(reply, "Client.get_tensor")
    assert isinstance(mapped, err.RedisRuntimeError)
    assert mapped.key == "{ds}.meta"
    assert str(mapped).startswith("Client.get_tensor execution failed\n")
    assert "GET on key '{ds}.meta'" in str(mapped) and "WRONGTYPE" in str(mapped)


def test_connection_error_mentions_ssdb(monkeypatch):
    monkeypatch.setenv("SSDB", "127.0.0.1:1")
    assert "Could not connect to Orchestrator at 127.0.0.1:1" in str(err.RedisConnectionError())
    monkeypatch.delenv("SSDB")
    assert str(err.RedisConnectionError("boom")) == "boom\n"  # as SmartRedis formats it
    monkeypatch.setenv("SSDB", "127.0.0.1:2")
    assert str(err.RedisConnectionError("boom")) == (
        "boom\nCould not connect to Orchestrator at 127.0.0.1:2"
    )


class _Thing:
    @api
    def fails(self, exc: BaseException) -> None:
        raise exc


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ReplyError("ERR no such key"), err.RedisKeyError),
        (ServerUnavailable("gone"), err.RedisConnectionError),
        (AddressError("bad"), err.RedisConnectionError),
        (ServerTimeout("slow"), err.RedisTimeoutError),
        (TensorFormatError("not a tensor"), err.RedisRuntimeError),
        (ProtocolError("garbage"), err.RedisInternalError),
        (err.RedisKeyError("missing", key="k"), err.RedisKeyError),
    ],
)
def test_api_maps_internal_failures(raised, expected):
    with pytest.raises(expected) as info:
        _Thing().fails(raised)
    if isinstance(info.value, err.RedisReplyError):
        assert str(info.value).startswith("_Thing.fails execution failed\n")


def test_api_passes_argument_errors_through():
    with pytest.raises(TypeError):
        _Thing().fails(TypeError("x"))
    with pytest.raises(ValueError):
        _Thing().fails(ValueError("x"))


def test_typecheck_and_check_name():
    typecheck("a", "name", str)
    with pytest.raises(TypeError, match="Argument name is of type <class 'int'>"):
        typecheck(1, "name", str)
    with pytest.raises(TypeError):
        typecheck(True, "num_tries", int)
    with pytest.raises(ValueError, match="name must not be an empty string"):
        check_name("", "name")
