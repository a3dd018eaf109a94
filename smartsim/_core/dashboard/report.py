"""``smart report`` and ``Experiment.report``: the dashboard's view as one self-contained file."""

from __future__ import annotations

import os

from .model import load_snapshot
from .page import render_page

REPORT_NAME = "report.html"
"""The report's file name in the experiment directory when no path is given."""


def write_report(exp_path: str, path: str | None = None) -> str:
    """Write the experiment's report (data and output tails embedded); the path written.

    :param exp_path: the experiment directory (its telemetry is read)
    :param path: where to write; default ``<exp_path>/report.html``
    :raises TelemetryNotFound: the experiment has no telemetry manifest
    """
    snapshot, _ = load_snapshot(exp_path, tails=True, require=True)
    target = os.path.abspath(path or os.path.join(exp_path, REPORT_NAME))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = f"{target}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(render_page(snapshot["experiment"]["name"], snapshot))
    os.replace(temporary, target)  # a reader never sees a half-written report
    return target
