"""Key slots (known answers), CLUSTER SLOTS parsing and redirect replies."""

from __future__ import annotations

import pytest

from smartredis.wire.cluster import parse_cluster_slots, parse_redirect
from smartredis.wire.connection import Address
from smartredis.wire.protocol import ReplyError
from smartredis.wire.slots import crc16, hash_slot


def test_crc16_known_answer():
    assert crc16(b"123456789") == 0x31C3  # CRC16/XMODEM check value
    assert crc16(b"") == 0


# Known answers: Redis's CLUSTER KEYSLOT documentation (somekey, foo{hello}zz), its cluster
# spec (hash tags), and a bitwise CRC16/XMODEM computed independently of binascii.
@pytest.mark.parametrize(
    ("key", "slot"),
    [
        ("123456789", 0x31C3 % 16384),  # 12739
        ("foo", 12182),
        ("bar", 5061),
        ("somekey", 11058),
        ("foo{hello}zz", 866),
        ("user1000", 3443),
        ("{user1000}.following", 3443),
        ("{user1000}.followers", 3443),
        ("foo{}{bar}", 8363),  # empty tag: the whole key counts
        ("foo{{bar}}zap", 4015),  # the tag is "{bar"
        ("foo{bar}{zap}", 5061),  # only the first tag counts: "bar"
        (b"\xff\x00{bar}", 5061),
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
