"""Key slots (known answers), CLUSTER SLOTS parsing and redirect replies."""

from __future__ import annotations

import pytest

from smartredis._redis.cluster import parse_cluster_slots, parse_redirect
from smartredis._redis.connection import Address
from smartredis._redis.crc import crc16, hash_slot
from smartredis._redis.protocol import ReplyError


def test_crc16_known_answer():
    assert crc16(b"123456789") == 0x31C3  # CRC16/XMODEM check value


@pytest.mark.parametrize(
    ("key", "slot"),
    [
        ("foo", 12182),
        ("bar", 5061),
        ("{user1000}.following", hash_slot("user1000")),
        ("foo{}{bar}", hash_slot("foo{}{bar}")),  # empty tag: the whole key counts
        ("foo{{bar}}zap", hash_slot("{bar")),
        ("foo{bar}{zap}", hash_slot("bar")),
    ],
)
def test_hash_slots(key, slot):
    assert hash_slot(key) == slot


def test_parse_cluster_slots():
    reply = [
        [0, 5460, [b"127.0.0.1", 7000, b"id0"], [b"127.0.0.1", 7003, b"id3"]],
        [5461, 10922, [b"", 7001, b"id1"]],
        [10923, 16383, [b"?", 7002, b"id2"]],
    ]
    asked = Address("10.1.1.1", 7000)
    assert parse_cluster_slots(reply, asked) == [
        (0, 5460, Address("127.0.0.1", 7000)),
        (5461, 10922, Address("10.1.1.1", 7001)),
        (10923, 16383, Address("10.1.1.1", 7002)),
    ]


@pytest.mark.parametrize("reply", ["OK", [[0, 1]], [[0, 1, b"x"]]])
def test_parse_cluster_slots_rejects_other_replies(reply):
    with pytest.raises(ValueError):
        parse_cluster_slots(reply, Address("h", 1))


def test_parse_redirect():
    assert parse_redirect(ReplyError("MOVED 3999 127.0.0.1:6381")) == (
        "MOVED",
        3999,
        Address("127.0.0.1", 6381),
    )
    assert parse_redirect(ReplyError("ASK 1 [::1]:7000")) == ("ASK", 1, Address("::1", 7000))
    assert parse_redirect(ReplyError("ERR no such key")) is None
