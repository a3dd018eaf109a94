"""Telemetry: the files SmartSim 0.8's dashboard reads, written by the driver itself.

SmartSim 0.8 starts a monitor process that outlives the driver by minutes; this library
runs none. The driver's controller and job manager write everything (layout and formats
in ``docs/telemetry.md``):

- ``manifest.py``: ``manifest.json``, rewritten at each ``Experiment.start``;
- ``events.py``: a job's ``start.json`` at launch and ``stop.json`` when its status
  becomes terminal;
- ``sampler.py``: database memory and client CSVs, from one daemon thread per database
  that ends when the database stops, its shards end, or the driver exits;
- ``recorder.py``: ties them to one experiment (the controller's hooks call it).

Nothing here runs after the driver ends. This package imports no entity module at load
(the Orchestrator imports the switch from here).
"""

from smartsim._core.telemetry.config import (
    ExperimentTelemetryConfiguration,
    TelemetryConfiguration,
    telemetry_enabled,
)

__all__ = ["ExperimentTelemetryConfiguration", "TelemetryConfiguration", "telemetry_enabled"]
