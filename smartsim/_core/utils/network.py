"""Network interfaces and ports of this node."""

from __future__ import annotations

import errno
import random
import socket

import psutil

LOOPBACK = "127.0.0.1"


def interface_names() -> list[str]:
    """Names of the network interfaces present on this node."""
    return sorted(psutil.net_if_addrs())


def get_ip_from_interface(interface: str) -> str:
    """The IPv4 address of ``interface``.

    :raises ValueError: no such interface, or it has no IPv4 address (lists the present ones)
    """
    addresses = psutil.net_if_addrs()
    if interface not in addresses:
        raise ValueError(
            f"Network interface {interface!r} is not on this node; present: "
            f"{', '.join(sorted(addresses))}"
        )
    for addr in addresses[interface]:
        if addr.family == socket.AF_INET:
            return addr.address
    raise ValueError(f"Network interface {interface!r} has no IPv4 address")


def port_in_use(host: str, port: int) -> bool:
    """Whether binding ``host:port`` fails because something already uses it.

    Binds as the server will, with SO_REUSEADDR: connections of a stopped server that
    linger in TIME_WAIT do not keep it from binding, so they must not count here either.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


CLUSTER_BUS_OFFSET = 10000
"""A cluster-mode server also listens on its port + 10000 (the cluster bus)."""


def find_free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ephemeral_start() -> int:
    """The first port the kernel hands to outgoing connections and to binds of port 0."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def find_free_ports(count: int, host: str = LOOPBACK, cluster: bool = False) -> int:
    """The first of ``count`` consecutive free ports (and their cluster-bus ports if asked).

    Chosen below the kernel's ephemeral range when it leaves room (cluster-bus ports
    included): a port there can be taken by any outgoing connection between this check and
    the server's bind, which happened under load.
    """
    rng = random.Random()
    top = _ephemeral_start() - count - (CLUSTER_BUS_OFFSET if cluster else 0)
    low, high = (10000, top) if top - 10000 >= 1000 else (20000, 50000 - count)
    for _ in range(200):
        first = rng.randrange(low, high)
        wanted = list(range(first, first + count))
        if cluster:
            wanted += [p + CLUSTER_BUS_OFFSET for p in wanted]
        if not any(port_in_use(host, port) for port in wanted):
            return first
    raise RuntimeError(f"Found no {count} consecutive free ports on {host}")
