"""IPv4 address of a network interface with the standard library only (Linux ioctl).

Shards start with ``python -S`` (no site-packages, so no psutil); this keeps ``--ifname``
working there. Elsewhere the psutil-based helper of ``_core.utils.network`` is used.
"""

from __future__ import annotations

import fcntl
import socket
import struct

_SIOCGIFADDR = 0x8915


def ipv4_of(interface: str) -> str:
    """The IPv4 address of ``interface`` on this node.

    :raises ValueError: no such interface, or it has no IPv4 address (lists the present ones)
    """
    present = sorted(name for _, name in socket.if_nameindex())
    if interface not in present:
        raise ValueError(
            f"Network interface {interface!r} is not on this node; present: {', '.join(present)}"
        )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("256s", interface.encode()[:15])
        try:
            answer = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, request)
        except OSError as exc:
            raise ValueError(f"Network interface {interface!r} has no IPv4 address") from exc
    return socket.inet_ntoa(answer[20:24])
