"""SmartRedis logging: levels, the process-wide log target, and the log_* functions.

Configured once per process from ``SR_LOG_FILE`` (a file to append to; stdout when unset) and
``SR_LOG_LEVEL`` (quiet, info, debug or developer; info when unset). A line reads
``<context>@<HH-MM-SS>:<message>``, warnings and errors prefixed ``WARNING: ``/``ERROR: ``.
"""

from __future__ import annotations

import enum
import os
import sys
import threading
import time

from smartredis.error import RedisRuntimeError


class SRLoggingLevel(enum.IntEnum):
    """How much to log; a message is written when its level is at most the configured one."""

    LLQuiet = 1
    LLInfo = 2
    LLDebug = 3
    LLDeveloper = 4


LLQuiet = SRLoggingLevel.LLQuiet
LLInfo = SRLoggingLevel.LLInfo
LLDebug = SRLoggingLevel.LLDebug
LLDeveloper = SRLoggingLevel.LLDeveloper

_LEVEL_NAMES = {"quiet": LLQuiet, "info": LLInfo, "debug": LLDebug, "developer": LLDeveloper}


class _Logger:
    """The process-wide log target, configured from the environment on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configured = False
        self.level = LLInfo
        self.path = ""

    def _configure(self) -> None:
        path = os.environ.get("SR_LOG_FILE", "")
        raw = os.environ.get("SR_LOG_LEVEL", "")
        level = _LEVEL_NAMES.get(raw.strip().lower(), None) if raw else LLInfo
        if level is None:
            raise RedisRuntimeError(
                f"Unrecognized logging level: SR_LOG_LEVEL={raw!r}; use one of "
                + ", ".join(_LEVEL_NAMES)
            )
        if path:
            try:
                with open(path, "a", encoding="utf-8"):
                    pass
            except OSError as exc:
                raise RedisRuntimeError(f"Cannot write to file: SR_LOG_FILE={path!r}") from exc
        self.level, self.path, self._configured = level, path, True

    def enabled(self, level: int) -> bool:
        """Whether a message at ``level`` would be written."""
        if not self._configured:
            self._configure()
        return level <= self.level

    def write(self, context: str, level: int, data: str) -> None:
        """Write one line if ``level`` is enabled."""
        if not self.enabled(level):
            return
        line = f"{context}@{time.strftime('%H-%M-%S')}:{data}\n"
        with self._lock:
            if self.path:
                try:
                    with open(self.path, "a", encoding="utf-8") as out:
                        out.write(line)
                    return
                except OSError:
                    self.path = ""  # as SmartRedis: fall back to the console
            sys.stdout.write(line)
            sys.stdout.flush()

    def reset(self) -> None:
        """Read the environment again on next use (for tests)."""
        self._configured = False


_LOGGER = _Logger()


def _check(context: object, level: object, data: object) -> None:
    if not isinstance(context, str):
        raise TypeError(f"Argument context is of type {type(context)}, not {str}")
    if not isinstance(level, SRLoggingLevel):
        raise TypeError(f"Argument level is of type {type(level)}, not {SRLoggingLevel}")
    if not isinstance(data, str):
        raise TypeError(f"Argument data is of type {type(data)}, not {str}")


def log_data(context: str, level: SRLoggingLevel, data: str) -> None:
    """Log ``data`` under ``context`` if ``level`` is enabled.

    :raises TypeError: an argument has the wrong type
    :raises RedisRuntimeError: SR_LOG_LEVEL or SR_LOG_FILE is unusable
    """
    _check(context, level, data)
    _LOGGER.write(context, level, data)


def log_warning(context: str, level: SRLoggingLevel, data: str) -> None:
    """Log a warning (``WARNING: `` + data); see :func:`log_data`."""
    _check(context, level, data)
    _LOGGER.write(context, level, "WARNING: " + data)


def log_error(context: str, level: SRLoggingLevel, data: str) -> None:
    """Log an error (``ERROR: `` + data); see :func:`log_data`."""
    _check(context, level, data)
    _LOGGER.write(context, level, "ERROR: " + data)
