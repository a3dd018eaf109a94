"""Retry budgets for reaching a server and for commands, and what is raised when they run out."""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass

LogHook = t.Callable[[int, str], None]
"""Receives (level, message); levels as SmartRedis's: 2 info, 3 debug, 4 developer."""
INFO, DEBUG, DEVELOPER = 2, 3, 4


class ServerUnavailable(Exception):
    """No server could be reached within the retry budget; the message names the address."""


class ServerTimeout(Exception):
    """A server took a command but did not answer within the command timeout."""


class AddressError(ValueError):
    """An address that cannot be parsed or resolved; retrying would not help."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying (seconds) and how long to wait between tries (seconds)."""

    connect_timeout: float = 100.0
    """Budget for reaching a server when the client starts."""
    connect_interval: float = 1.0
    command_timeout: float = 100.0
    """Silence tolerated while a command runs; also the budget for reconnecting mid-command."""
    command_interval: float = 1.0


class Budget:
    """A countdown for one series of retries."""

    def __init__(self, timeout: float, interval: float) -> None:
        self.timeout = timeout
        self.interval = interval
        self.deadline = time.monotonic() + timeout

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def wait(self) -> bool:
        """Sleep one interval (cut short at the deadline); False once the budget is spent."""
        left = self.remaining()
        if left <= 0:
            return False
        time.sleep(min(self.interval, left))
        return True
