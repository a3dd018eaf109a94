"""LogContext: a logging context for application code that has no Client or Dataset."""

from __future__ import annotations

from smartredis.srobject import SRObject


class LogContext(SRObject):
    """A named context for ``log_data``/``log_warning``/``log_error``."""
