"""Fixtures of the real-Slurm tests: skip (or, with CI=true, fail) when no Slurm answers."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from smartsim.wlm import slurm


def _slurm_problem() -> str | None:
    """Why Slurm cannot be used here, or None when a node is up."""
    for tool in ("sinfo", "salloc", "srun", "sbatch", "sacct", "scancel"):
        if not shutil.which(tool):
            return f"{tool} is not on PATH (run the suite with scripts/test.sh, which starts Slurm)"
    try:
        done = subprocess.run(
            ["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 10 s"
    if done.returncode != 0:
        return f"sinfo failed: {done.stderr.strip()} (is SLURM_CONF set? see scripts/slurm/up.sh)"
    if not any(state.startswith(("idle", "mix", "alloc")) for state in done.stdout.split()):
        return f"no Slurm node is up (sinfo: {done.stdout.strip()!r})"
    return None


@pytest.fixture(scope="session")
def slurm_up() -> None:
    """Skip the test when no Slurm is available (tests/conftest.py fails CI on such skips)."""
    problem = _slurm_problem()
    if problem:
        pytest.skip(f"no usable Slurm: {problem}")


@pytest.fixture(autouse=True)
def _slurm_env(slurm_up, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here needs Slurm; status queries settle quickly (interval up to 0.5 s)."""
    monkeypatch.setenv("SMARTSIM_JM_INTERVAL", "0.5")
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)


@pytest.fixture
def alloc():
    """A whole-node allocation, released (with all its steps) after the test."""
    alloc_id = slurm.get_allocation(nodes=1, time="00:10:00", options={"exclusive": None})
    yield alloc_id
    slurm.release_allocation(alloc_id)
