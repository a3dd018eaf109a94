"""What a Client reads from its ConfigOptions: addresses, database type, retry settings.

Names and defaults are SmartRedis 0.6's: ``SSDB`` (comma-separated addresses), ``SR_DB_TYPE``
(``Clustered`` unless set; anything else is standalone), ``SR_CONN_TIMEOUT`` (s, 100),
``SR_CONN_INTERVAL`` (ms, 1000), ``SR_CMD_TIMEOUT`` (s, 100), ``SR_CMD_INTERVAL`` (ms, 1000),
``SR_THREAD_COUNT`` (4), ``SSKEYOUT``/``SSKEYIN`` (key prefixes). Ours alone:
``SR_DB_PASSWORD`` (the secret of a password-protected database; SmartRedis has no AUTH).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartredis.configoptions import ConfigOptions
from smartredis.wire.connection import PASSWORD_ENV, Address
from smartredis.wire.retry import AddressError, RetryPolicy

DEFAULT_CONN_TIMEOUT_S = 100
DEFAULT_CONN_INTERVAL_MS = 1000
DEFAULT_CMD_TIMEOUT_S = 100
DEFAULT_CMD_INTERVAL_MS = 1000
DEFAULT_THREAD_COUNT = 4
_MAX_TIMEOUT_S = 2**31 // 1000


@dataclass(frozen=True)
class Settings:
    """A Client's connection settings, resolved."""

    addresses: list[Address]
    cluster: bool
    cluster_inferred: bool
    """True when SR_DB_TYPE was not set (SmartRedis then assumes a cluster)."""
    policy: RetryPolicy
    thread_count: int
    password: str = field(default="", repr=False)
    """Sent with AUTH on every connection; "" for none."""


def parse_ssdb(spec: str, variable: str = "SSDB") -> list[Address]:
    """The addresses in an SSDB value (``host:port`` or ``unix:///path``, comma separated).

    :raises AddressError: empty, or an entry that is not an address
    """
    entries = [entry.strip() for entry in spec.split(",") if entry.strip()]
    if not entries:
        raise AddressError(f"The environment variable {variable} must be set to use the client.")
    try:
        return [Address.parse(entry) for entry in entries]
    except ValueError as exc:
        raise AddressError(f"{variable}={spec!r}: {exc}") from None


def _positive(options: ConfigOptions, name: str, default: int, limit: int | None = None) -> int:
    value = options._resolve_integer_option(name, default)
    if value <= 0:
        raise ValueError(f"{options._variable(name)} must be greater than 0 (got {value}).")
    if limit is not None and value > limit:
        raise ValueError(f"{options._variable(name)} must be less than {limit} (got {value}).")
    return value


def resolve(options: ConfigOptions, cluster: bool | None = None) -> Settings:
    """Settings from ``options``; ``cluster`` (legacy constructor) overrides SR_DB_TYPE.

    :raises AddressError: SSDB is unset or malformed
    :raises ValueError: a timeout, interval or thread count is not positive
    """
    addresses = parse_ssdb(options._resolve_string_option("SSDB", ""), options._variable("SSDB"))
    inferred = False
    if cluster is None:
        inferred = not options.is_configured("SR_DB_TYPE")
        db_type = options._resolve_string_option("SR_DB_TYPE", "Clustered")
        cluster = db_type.strip().lower() == "clustered"
    limit = _MAX_TIMEOUT_S
    policy = RetryPolicy(
        connect_timeout=_positive(options, "SR_CONN_TIMEOUT", DEFAULT_CONN_TIMEOUT_S, limit),
        connect_interval=_positive(options, "SR_CONN_INTERVAL", DEFAULT_CONN_INTERVAL_MS) / 1000,
        command_timeout=_positive(options, "SR_CMD_TIMEOUT", DEFAULT_CMD_TIMEOUT_S, limit),
        command_interval=_positive(options, "SR_CMD_INTERVAL", DEFAULT_CMD_INTERVAL_MS) / 1000,
    )
    threads = _positive(options, "SR_THREAD_COUNT", DEFAULT_THREAD_COUNT)
    password = options._resolve_string_option(PASSWORD_ENV, "")
    return Settings(addresses, cluster, inferred, policy, threads, password)
