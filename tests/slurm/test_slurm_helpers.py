"""smartsim.wlm.slurm against a real single-node Slurm."""

from __future__ import annotations

import subprocess

import pytest

from smartsim.error import AllocationError, LauncherError
from smartsim.wlm import slurm


def _state(job: str) -> str:
    """``STATE|name`` of a job as squeue shows it."""
    return subprocess.run(
        ["squeue", "--noheader", "--states=all", f"--jobs={job}", "--format=%T|%j"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def test_get_and_release_allocation():
    alloc = slurm.get_allocation(nodes=1, time="00:02:00", options={"exclusive": None})
    try:
        assert _state(alloc) == "RUNNING|SmartSim"
    finally:
        slurm.release_allocation(alloc)
    assert _state(alloc).split("|")[0] in ("CANCELLED", "COMPLETING")


def test_allocation_beyond_the_cluster_is_refused():
    with pytest.raises(AllocationError, match="salloc did not grant"):
        slurm.get_allocation(nodes=4, options={"immediate": "1"})


def test_validate_default_partition():
    assert slurm.get_default_partition() == "debug"
    assert slurm.validate(nodes=1, ppn=1)
    assert not slurm.validate(nodes=2, ppn=1)
    with pytest.raises(LauncherError, match="Partition nope is not found"):
        slurm.validate(partition="nope")
