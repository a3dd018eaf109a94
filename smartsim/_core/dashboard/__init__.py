"""The experiment dashboard: a live local page (``smart dashboard``) and a one-file report.

Both read what the telemetry writes under ``<exp_path>/.smartsim/telemetry`` (SmartSim 0.8's
manifest, each entity's ``start.json``/``stop.json`` and a database's metric CSVs) into one
JSON snapshot (:mod:`.model`), which the same page script renders (:mod:`.page`): fetched
every two seconds from the server (:mod:`.server`), or embedded in the report (:mod:`.report`).
"""

from __future__ import annotations

from .model import MANIFEST_RELPATH, TelemetryNotFound, load_snapshot
from .report import write_report
from .server import DashboardServer

__all__ = [
    "MANIFEST_RELPATH",
    "DashboardServer",
    "TelemetryNotFound",
    "load_snapshot",
    "write_report",
]
