"""Fixtures of the multi-node Slurm tests (scripts/slurm/test-multinode.sh runs them).

They need the 3-node Slurm of scripts/slurm/up-multinode.sh (``SLURM_MN_ROOT``) and its node
names resolving as on a cluster, which scripts/slurm/run-multinode.sh arranges. Without them
every test is skipped, or, with CI=true, fails: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

NODES = ("n1", "n2", "n3")
REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts" / "slurm"
ROOT = os.environ.get("SLURM_MN_ROOT", "")
if ROOT:
    # Every Slurm command of the session (ours and the library's) talks to this cluster.
    os.environ["SLURM_CONF"] = os.path.join(ROOT, "etc", "slurm.conf")


def node_states() -> dict[str, str]:
    """Each node's state as sinfo tells it (``idle``, ``down*``...)."""
    done = subprocess.run(
        ["sinfo", "--noheader", "--Node", "--format=%N %T"],
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    return dict(line.split() for line in done.stdout.splitlines() if line.strip())


def _problem() -> str | None:
    """Why the multi-node Slurm cannot be used here, or None when its 3 nodes are up."""
    if not ROOT or not os.path.isdir(ROOT):
        return "SLURM_MN_ROOT is not set (run scripts/slurm/test-multinode.sh)"
    for tool in ("sinfo", "salloc", "srun", "sbatch", "sacct", "scancel"):
        if not shutil.which(tool):
            return f"{tool} is not on PATH"
    try:
        states = node_states()
    except (subprocess.SubprocessError, OSError) as exc:
        return f"sinfo failed: {exc}"
    if sorted(states) != list(NODES) or any(s not in ("idle", "mixed") for s in states.values()):
        return f"the nodes are not all up: {states}"
    try:
        socket.gethostbyname("n1")
    except OSError:
        return "node names do not resolve (run through scripts/slurm/run-multinode.sh)"
    return None


@pytest.fixture(scope="session")
def multinode() -> str:
    """The cluster's directory; skips (fails with CI=true) when the cluster is not up."""
    problem = _problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the multi-node Slurm is not usable: {problem}")
        pytest.skip(f"no multi-node Slurm: {problem}")
    return ROOT


@pytest.fixture
def tmp_path(multinode: str, request: pytest.FixtureRequest) -> Path:
    """The test's directory on the cluster's shared filesystem ($SLURM_MN_ROOT/shared):
    every node sees it, while each node's /tmp is its own, as on a cluster."""
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)[:60]
    path = Path(multinode) / "shared" / f"{name}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True)
    return path


@pytest.fixture(autouse=True)
def _multinode_env(multinode: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Status queries settle quickly; no allocation leaks in from the environment; every
    test starts and ends with the 3 nodes up and no job left."""
    monkeypatch.setenv("SMARTSIM_JM_INTERVAL", "0.5")
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    yield
    subprocess.run(["scancel", "--user=root", "--quiet"], check=False, timeout=30)
    wait_until(lambda: not squeue_jobs(), 30, "the test's jobs to end")


@pytest.fixture
def alloc3() -> Iterator[str]:
    """The 3 nodes, whole (every CPU: steps with --exact share them), released after."""
    from smartsim.wlm import slurm

    alloc_id = slurm.get_allocation(nodes=3, time="00:10:00", options={"exclusive": None})
    yield alloc_id
    slurm.release_allocation(alloc_id)


def squeue_jobs() -> list[str]:
    done = subprocess.run(
        ["squeue", "--noheader", "--format=%i"], capture_output=True, text=True, timeout=10
    )
    return done.stdout.split()


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def node_script(action: str, node: str) -> None:
    """Crash (``kill``) or restart (``start``) a node: scripts/slurm/node-multinode.sh."""
    # A restarted slurmd must not carry the session's marker (tests/conftest.py): the
    # leak check would take it for a process the test left behind and kill it.
    env = {k: v for k, v in os.environ.items() if k != "SMARTSIM_TEST_SESSION"}
    subprocess.run(
        ["bash", str(SCRIPTS / "node-multinode.sh"), action, node],
        check=True, timeout=60, env=env,
    )  # fmt: skip


def node_address(node: str) -> str:
    """The node's ib0 address (what the driver's resolver and the node itself agree on)."""
    return socket.gethostbyname(node)


def netns_pids(node: str) -> list[int]:
    """Every process running on ``node`` (in its network namespace)."""
    tag = "".join(c for c in os.path.basename(ROOT) if c.isalnum())[-6:]
    done = subprocess.run(
        ["ip", "netns", "pids", f"mn{tag}-{node}"], capture_output=True, text=True, timeout=10
    )
    return [int(pid) for pid in done.stdout.split()]
