"""Logging as SmartSim sets it up: ``get_logger`` with a level from SMARTSIM_LOG_LEVEL."""

from __future__ import annotations

import logging
import socket
import sys

from smartsim._core.config import get_config

_FORMAT = "%(asctime)s %(hostname)s %(name)s[%(process)d] %(levelname)s %(message)s"

# SmartSim's level names map onto logging's; "developer" is the most verbose.
_LEVELS = {
    "quiet": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "developer": logging.DEBUG,
}


class _HostnameFilter(logging.Filter):
    """Adds the host name to every record, as SmartSim's log lines show it."""

    hostname = socket.gethostname()

    def filter(self, record: logging.LogRecord) -> bool:
        record.hostname = self.hostname
        return True


def _level(name: str | None) -> int:
    return _LEVELS.get((name or get_config().log_level).lower(), logging.INFO)


def get_logger(name: str, log_level: str | None = None, fmt: str | None = None) -> logging.Logger:
    """Return a logger that writes to stdout in SmartSim's format (as SmartSim does).

    :param name: the logger's name
    :param log_level: quiet, info, debug or developer; default SMARTSIM_LOG_LEVEL or info
    :param fmt: a logging format string replacing the default
    """
    logger = logging.getLogger(name)
    logger.setLevel(_level(log_level))
    if not any(getattr(h, "_smartsim", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler._smartsim = True  # type: ignore[attr-defined]
        handler.addFilter(_HostnameFilter())
        handler.setFormatter(logging.Formatter(fmt or _FORMAT))
        logger.addHandler(handler)
        logger.propagate = False
    return logger


def log_to_file(
    filename: str, log_level: str = "debug", logger: logging.Logger | None = None
) -> None:
    """Also write ``logger`` (default: the smartsim logger) to ``filename``."""
    target = logger or logging.getLogger("smartsim")
    handler = logging.FileHandler(filename)
    handler.setLevel(_level(log_level))
    handler.addFilter(_HostnameFilter())
    handler.setFormatter(logging.Formatter(_FORMAT))
    target.addHandler(handler)
