"""Fake PBS and LSF tools on PATH (fakesched.py), with their state in a temp directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

FAKESCHED = Path(__file__).with_name("fakesched.py")
TOOLS = {"pbs": ("qsub", "qstat", "qdel"), "lsf": ("bsub", "bjobs", "bkill")}


@pytest.fixture(params=["pbs", "lsf"])
def scheduler(request, tmp_path, monkeypatch) -> str:
    """The name of a launcher whose fake tools answer on PATH."""
    bin_dir = tmp_path / "fakebin"
    state = tmp_path / "fakestate"
    bin_dir.mkdir()
    state.mkdir()
    for tool in TOOLS[request.param]:
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKESCHED}" {tool} "$@"\n')
        wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_WLM_DIR", str(state))
    monkeypatch.setenv("SMARTSIM_JM_INTERVAL", "0.3")
    return request.param
