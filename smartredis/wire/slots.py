"""Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its {hash tag}, modulo 16384."""

from __future__ import annotations

import binascii

SLOTS = 16384


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster uses."""
    return binascii.crc_hqx(data, 0)


def hash_slot(key: bytes | str) -> int:
    """The cluster slot of ``key``; only the part inside the first non-empty ``{...}`` counts."""
    raw = key.encode() if isinstance(key, str) else bytes(key)
    start = raw.find(b"{")
    if start >= 0:
        end = raw.find(b"}", start + 1)
        if end > start + 1:
            raw = raw[start + 1 : end]
    return crc16(raw) % SLOTS
