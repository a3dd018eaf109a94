"""Logging as a library does it, in SmartSim's format: ``get_logger`` with SMARTSIM_LOG_LEVEL.

The library's loggers (``smartsim.*``) propagate to the root logger like any library's: a
driver that configures logging (``logging.basicConfig``, its own handlers) receives their
records and decides where they go. Only while the root logger has no handler does the
library print them itself, on stdout in SmartSim's format, so that a plain driver script
shows them as SmartSim's did. SMARTSIM_LOG_LEVEL (quiet, info, debug, developer) sets the
level of the top logger (``smartsim``, or the top of a name a driver passes to
``get_logger``) unless the driver set one; ``logging.getLogger("smartsim").setLevel`` changes
it at any time.
"""

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


class _DefaultHandler(logging.StreamHandler):
    """SmartSim's stdout output, used only while the root logger has no handler (so it
    never doubles what the driver's own logging configuration shows). A record is printed
    once even when it passes several of these (a logger given its own format)."""

    def __init__(self, fmt: str | None = None) -> None:
        super().__init__(sys.stdout)
        self.addFilter(_HostnameFilter())
        self.setFormatter(logging.Formatter(fmt or _FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        if logging.getLogger().handlers or getattr(record, "_smartsim_shown", False):
            return
        record._smartsim_shown = True
        self.stream = sys.stdout  # the current stdout (a test or driver may replace it)
        super().emit(record)


def _level(name: str | None) -> int:
    return _LEVELS.get((name or get_config().log_level).lower(), logging.INFO)


def get_logger(name: str, log_level: str | None = None, fmt: str | None = None) -> logging.Logger:
    """Return a logger that propagates, with SmartSim's stdout output as the fallback.

    :param name: the logger's name
    :param log_level: quiet, info, debug or developer for this logger; default: it inherits
        the level of its top logger, which SMARTSIM_LOG_LEVEL (default info) sets
    :param fmt: a logging format string for this logger's fallback output
    """
    logger = logging.getLogger(name)
    top = logging.getLogger(name.split(".", 1)[0])
    if not any(isinstance(h, _DefaultHandler) for h in top.handlers):
        top.addHandler(_DefaultHandler())
        if top.level == logging.NOTSET:  # a level the driver set first is kept
            top.setLevel(_level(None))
    if fmt is not None and not any(isinstance(h, _DefaultHandler) for h in logger.handlers):
        logger.addHandler(_DefaultHandler(fmt))
    if log_level is not None:
        logger.setLevel(_level(log_level))
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
