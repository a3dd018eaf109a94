"""TelemetryConfiguration: the ``telemetry`` switch of Experiment and Orchestrator.

SmartSim 0.8 runs a telemetry monitor process that writes status files for its dashboard.
This library runs none (statuses come from ``Experiment.get_status`` and the summary), so the
switch is kept for scripts that call it and only records the choice.
"""

from __future__ import annotations

from smartsim.log import get_logger

logger = get_logger(__name__)


class TelemetryConfiguration:
    """Whether telemetry is on; turning it on says once that no monitor runs here."""

    def __init__(self, enabled: bool = False) -> None:
        self._enabled = enabled
        self._told = False

    @property
    def is_enabled(self) -> bool:
        """Whether telemetry was turned on."""
        return self._enabled

    def enable(self) -> None:
        """Turn telemetry on (recorded; no monitor process is started)."""
        self._enabled = True
        if not self._told:
            logger.info(
                "Telemetry enabled: this SmartSim runs no telemetry monitor; job statuses are "
                "in Experiment.get_status() and Experiment.summary()"
            )
            self._told = True

    def disable(self) -> None:
        """Turn telemetry off."""
        self._enabled = False
