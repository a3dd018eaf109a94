"""Environment-driven configuration: every SMARTSIM_* variable is read here and only here."""

from __future__ import annotations

import os
from dataclasses import dataclass

from smartsim.error import SSConfigError


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SSConfigError(f"{name}={raw!r} is not a number") from exc


@dataclass(frozen=True)
class Config:
    """A snapshot of the library's settings, taken from the environment when asked."""

    log_level: str
    stop_grace_period: float
    """Seconds between SIGTERM and SIGKILL when stopping a process tree."""
    wlm_poll_interval: float
    """Seconds between batched status queries to a workload manager."""


def get_config() -> Config:
    """Read the configuration from the current environment."""
    return Config(
        log_level=os.environ.get("SMARTSIM_LOG_LEVEL", "info").lower(),
        stop_grace_period=_env_float("SMARTSIM_STOP_GRACE", 5.0),
        wlm_poll_interval=_env_float("SMARTSIM_JM_INTERVAL", 10.0),
    )
