"""SRObject: anything that logs under its own context name (Client, Dataset, LogContext)."""

from __future__ import annotations

from smartredis.logger import SRLoggingLevel, log_data, log_error, log_warning


class SRObject:
    """A named logging context; ``log_*`` methods prefix lines with that name."""

    def __init__(self, context: str) -> None:
        if not isinstance(context, str):
            raise TypeError(f"Argument context is of type {type(context)}, not {str}")
        self._lname = context

    def log_data(self, level: SRLoggingLevel, data: str) -> None:
        """Log ``data`` if ``level`` is enabled (see SR_LOG_LEVEL)."""
        log_data(self._lname, level, data)

    def log_warning(self, level: SRLoggingLevel, data: str) -> None:
        """Log a warning if ``level`` is enabled."""
        log_warning(self._lname, level, data)

    def log_error(self, level: SRLoggingLevel, data: str) -> None:
        """Log an error if ``level`` is enabled."""
        log_error(self._lname, level, data)
