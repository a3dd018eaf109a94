"""Job statuses as SmartSim 0.8 names them."""

from __future__ import annotations

from enum import Enum


class SmartSimStatus(Enum):
    """Status of a launched job; the value is the word shown to users."""

    STATUS_RUNNING = "Running"
    STATUS_COMPLETED = "Completed"
    STATUS_CANCELLED = "Cancelled"
    STATUS_FAILED = "Failed"
    STATUS_NEW = "New"
    STATUS_PAUSED = "Paused"
    STATUS_NEVER_STARTED = "NeverStarted"
    STATUS_QUEUED = "Queued"

    def __str__(self) -> str:
        return self.value


TERMINAL_STATUSES = frozenset(
    {
        SmartSimStatus.STATUS_COMPLETED,
        SmartSimStatus.STATUS_CANCELLED,
        SmartSimStatus.STATUS_FAILED,
    }
)
"""Statuses after which a job never changes again."""
