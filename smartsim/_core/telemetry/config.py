"""Telemetry switches and settings: SmartSim 0.8's ``telemetry`` objects and variables."""

from __future__ import annotations

import os

from smartsim._core.config import get_config

TELEMETRY_SUBDIR = ".smartsim/telemetry"
"""Where an experiment's telemetry files live, below its directory (SmartSim's)."""
MANIFEST_FILENAME = "manifest.json"
FLAG_VARIABLE = "SMARTSIM_FLAG_TELEMETRY"
"""0 turns experiment telemetry off; anything else (or unset) leaves it on, as SmartSim."""


def telemetry_enabled() -> bool:
    """Whether experiment telemetry is on by default (``SMARTSIM_FLAG_TELEMETRY``, default 1)."""
    return get_config().telemetry_enabled


def telemetry_frequency() -> float:
    """Seconds between database metric samples (``SMARTSIM_TELEMETRY_FREQUENCY``, default 5;
    SmartSim's monitor allowed 1 to 600)."""
    return min(max(get_config().telemetry_frequency, 1.0), 600.0)


class TelemetryConfiguration:
    """A telemetry switch, SmartSim's: ``is_enabled``, ``enable()``, ``disable()``.

    :param enabled: the initial state (an Orchestrator's starts off, as in SmartSim)
    """

    def __init__(self, enabled: bool = False) -> None:
        self._is_on = enabled

    @property
    def is_enabled(self) -> bool:
        """Whether telemetry is on."""
        return self._is_on

    def enable(self) -> None:
        """Turn telemetry on."""
        self._is_on = True
        self._on_enable()

    def disable(self) -> None:
        """Turn telemetry off."""
        self._is_on = False
        self._on_disable()

    def _on_enable(self) -> None:
        """Hook run after enabling (none by default)."""

    def _on_disable(self) -> None:
        """Hook run after disabling (none by default)."""


class ExperimentTelemetryConfiguration(TelemetryConfiguration):
    """An Experiment's switch: on unless ``SMARTSIM_FLAG_TELEMETRY=0``; switching it sets
    that variable, as SmartSim does for scripts that read it."""

    def __init__(self) -> None:
        super().__init__(enabled=telemetry_enabled())

    def _on_enable(self) -> None:
        os.environ[FLAG_VARIABLE] = "1"

    def _on_disable(self) -> None:
        os.environ[FLAG_VARIABLE] = "0"
