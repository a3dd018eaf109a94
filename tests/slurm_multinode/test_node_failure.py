"""A node that fails mid-run: its shard is Failed with the reason, a client on another node
gets a clear error for the lost shard, exp.stop still returns and cleans every node."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time

import pytest

from smartredis.wire.connection import Connection
from smartredis.wire.slots import hash_slot
from smartsim import Experiment
from smartsim.status import SmartSimStatus
from smartsim.wlm import slurm

from .conftest import NODES, netns_pids, node_address, node_script, node_states, wait_until

S = SmartSimStatus

# A client on n1: once told the node is gone, it writes one key to each shard (the keys are
# given in shard order) and reports what happened to each.
CLIENT = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    from smartredis import Client
    client = Client(cluster=True)
    client.put_tensor("before", np.zeros(2))
    while not os.path.exists(sys.argv[1]):
        time.sleep(0.1)
    for key in sys.argv[2:]:
        try:
            client.put_tensor(key, np.zeros(2))
            print(f"{key} ok", flush=True)
        except Exception as exc:
            print(f"{key} {type(exc).__name__}: {exc}".replace("\\n", " "), flush=True)
    """
)


def key_per_shard(address: str) -> dict[str, str]:
    """A key held by each shard of the cluster at ``address``, by the shard's address."""
    slots = Connection(address).execute("CLUSTER", "SLOTS")
    keys = {}
    for first, last, (host, port, *_), *_ in slots:
        owner = f"{host.decode() if isinstance(host, bytes) else host}:{port}"
        keys[owner] = next(f"k{i}" for i in range(10_000) if first <= hash_slot(f"k{i}") <= last)
    return keys


@pytest.fixture
def n2_restored():
    """Bring n2 back after the test, whatever happened to it."""
    yield
    if not netns_pids("n2"):
        node_script("start", "n2")
    wait_until(lambda: node_states().get("n2") in ("idle", "mixed"), 60, "n2 to be back")


def test_node_failure_fails_its_shard_and_stop_cleans_up(tmp_path, n2_restored, caplog):
    caplog.set_level(logging.INFO, logger="smartsim")
    # --no-kill: the allocation outlives the loss of a node (without it Slurm ends the whole
    # job, every shard with it), so the other shards and the client go on running.
    alloc = slurm.get_allocation(
        nodes=3, time="00:10:00", options={"exclusive": None, "no-kill": None}
    )
    exp = Experiment("mn", exp_path=str(tmp_path), launcher="slurm")
    try:
        db = exp.create_database(
            db_nodes=3, port=6379, interface="ib0", alloc=alloc, single_cmd=False
        )
        db.set_run_arg("exact")
        script = tmp_path / "client.py"
        script.write_text(CLIENT)
        go = tmp_path / "go"
        exp.start(db)
        addresses = db.get_address()
        lost = next(n for n in db.entities if n.hosts == [node_address("n2")])
        others = [n for n in db.entities if n is not lost]
        lost_address = f"{node_address('n2')}:{lost.ports[0]}"
        keys = key_per_shard(addresses[0])
        # The client's retries give up after 3 s (SmartRedis waits 100 s by default), well
        # before the other shards take the cluster down for the lost slots (15 s).
        client = exp.create_model(
            "client",
            exp.create_run_settings(
                sys.executable, [str(script), str(go), *keys.values()],
                run_args={"jobid": alloc, "nodelist": "n1", "exact": None},
                env_vars={"SR_CMD_TIMEOUT": "3", "SR_CONN_TIMEOUT": "3"},
            ),
        )  # fmt: skip
        exp.start(client, block=False)
        wait_until(lambda: (tmp_path / "client" / "client.out").exists(), 30, "the client")
        time.sleep(2)  # the client has connected to every shard

        crashed = time.monotonic()
        node_script("kill", "n2")
        go.touch()
        # Slurm declares the node down after SlurmdTimeout; the shard's step then fails.
        wait_until(lambda: exp.get_status(lost) == [S.STATUS_FAILED], 90, "the shard to fail")
        failed_after = time.monotonic() - crashed
        assert exp.get_status(*others) == [S.STATUS_RUNNING] * 2
        assert "Node failure on n2" in (tmp_path / "orchestrator" / f"{lost.name}.err").read_text()
        wait_until(lambda: exp.get_status(client) != [S.STATUS_RUNNING], 60, "the client")
        assert exp.get_status(client) == [S.STATUS_COMPLETED]
        report = dict(
            line.split(" ", 1)
            for line in (tmp_path / "client" / "client.out").read_text().splitlines()
        )
        assert sorted(keys) == sorted(addresses)
        for address, key in keys.items():
            if address == lost_address:
                assert report[key].startswith("RedisConnectionError"), report
                assert lost_address in report[key], report
            else:
                assert report[key] == "ok", report

        started = time.monotonic()
        exp.stop(db)
        assert time.monotonic() - started < 30
        assert exp.get_status(lost) == [S.STATUS_FAILED]
        assert exp.get_status(*others) == [S.STATUS_CANCELLED] * 2
        print(f"shard Failed {failed_after:.1f} s after the crash")
    finally:
        exp._control.stop_all()
        slurm.release_allocation(alloc)
    # Nothing left on any node but its slurmd.
    for node in NODES:
        if node != "n2":
            wait_until(lambda node=node: len(netns_pids(node)) == 1, 30, f"{node} to be clean")
    assert netns_pids("n2") == []


@pytest.fixture
def n3_restored():
    """Bring n3 back after the test, whatever happened to it."""
    yield
    if not netns_pids("n3"):
        node_script("start", "n3")
    wait_until(lambda: node_states().get("n3") in ("idle", "mixed"), 60, "n3 to be back")


def test_node_failure_ends_a_batch_database_as_failed(tmp_path, n3_restored):
    # A batch job without --no-kill: Slurm ends the whole job when one of its nodes fails
    # (NODE_FAIL), and every shard with it. --no-requeue: by default Slurm puts a batch job
    # that lost a node back in the queue, to run again from the start.
    exp = Experiment("mn", exp_path=str(tmp_path), launcher="slurm")
    db = exp.create_database(
        db_nodes=3, port=6379, interface="ib0", batch=True, time="00:05:00", single_cmd=False
    )
    db.set_batch_arg("no-requeue")
    try:
        exp.start(db)
        job = exp._control.jobs()[0].current.job_id.split(".")[0]
        node_script("kill", "n3")
        wait_until(lambda: exp.get_status(*db.entities) == [S.STATUS_FAILED] * 3, 90, "the shards")
        state = subprocess.run(
            ["sacct", "-X", "--noheader", "--parsable2", "--format=State", f"--jobs={job}"],
            capture_output=True, text=True, timeout=10,
        ).stdout.split()  # fmt: skip
        assert state[-1] == "NODE_FAIL"
        started = time.monotonic()
        exp.stop(db)
        assert time.monotonic() - started < 30
        assert exp.get_status(*db.entities) == [S.STATUS_FAILED] * 3
    finally:
        exp._control.stop_all()
    for node in ("n1", "n2"):
        wait_until(lambda node=node: len(netns_pids(node)) == 1, 30, f"{node} to be clean")
