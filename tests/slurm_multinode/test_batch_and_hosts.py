"""Batch jobs over three nodes: a batch Orchestrator, a batch ensemble spread over the nodes,
and host lists (``set_hostlist``, ``set_excluded_hosts``) that Slurm honours."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from smartredis import Client
from smartsim import Experiment
from smartsim.settings import SrunSettings
from smartsim.status import SmartSimStatus

from .conftest import NODES, node_address

S = SmartSimStatus
HOSTNAME_AND_WAIT = ["-c", "hostname; sleep 2"]  # long enough that the members overlap


@pytest.fixture
def exp(tmp_path):
    experiment = Experiment("mn", exp_path=str(tmp_path), launcher="slurm")
    yield experiment
    experiment._control.stop_all()


def job_nodes(job_id: str) -> str:
    """A job's node list, as slurmctld has it (sacct's record of a job that just started
    may not list all its nodes yet); ended jobs stay known for MinJobAge."""
    done = subprocess.run(
        ["squeue", "--noheader", "--states=all", "--format=%N", f"--jobs={job_id}"],
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def printed(exp: Experiment, model) -> str:
    with open(f"{model.path}/{model.name}.out", encoding="utf-8") as handle:
        return handle.read().split()[0]


def test_batch_orchestrator_has_a_shard_on_each_node(exp):
    db = exp.create_database(
        db_nodes=3, port=6379, interface="ib0", batch=True, time="00:05:00", single_cmd=False
    )
    exp.start(db)
    try:
        assert sorted(host.split(":")[0] for host in db.get_address()) == sorted(
            node_address(node) for node in NODES
        )
        batch_job = exp._control.jobs()[0].current.job_id.split(".")[0]
        assert job_nodes(batch_job) == "n[1-3]"
        # The driver, on the front end, uses the cluster across the three nodes.
        client = Client(address=db.get_address()[0], cluster=True)
        for i in range(20):
            client.put_tensor(f"k{i}", np.arange(i + 1))
        assert all(len(client.get_tensor(f"k{i}")) == i + 1 for i in range(20))
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED] * 3


def test_batch_ensemble_members_land_on_different_nodes(exp):
    batch = exp.create_batch_settings(nodes=3, time="00:05:00")
    rs = exp.create_run_settings("sh", exe_args=HOSTNAME_AND_WAIT, run_args={"nodes": 1})
    ens = exp.create_ensemble("ens", batch_settings=batch, run_settings=rs, replicas=3)
    exp.start(ens)
    assert exp.get_status(ens) == [S.STATUS_COMPLETED] * 3
    # Each member's step takes a whole node (no --exact): the three run side by side on
    # the job's three nodes.
    assert sorted(printed(exp, member) for member in ens.models) == list(NODES)


def test_batch_hostlist_and_member_hostlists_are_honoured(exp):
    batch = exp.create_batch_settings(nodes=2, time="00:05:00")
    batch.set_hostlist(["n2", "n3"])
    ens = exp.create_ensemble("ens", batch_settings=batch)
    for name, node in (("on_n3", "n3"), ("on_n2", "n2")):
        rs = SrunSettings("sh", exe_args=HOSTNAME_AND_WAIT, run_args={"nodes": 1})
        rs.set_hostlist(node)
        ens.add_model(exp.create_model(name, rs))
    exp.start(ens)
    assert exp.get_status(ens) == [S.STATUS_COMPLETED] * 2
    assert {m.name: printed(exp, m) for m in ens.models} == {"on_n3": "n3", "on_n2": "n2"}
    batch_job = exp._control.jobs()[0].current.job_id.split(".")[0]
    assert job_nodes(batch_job) == "n[2-3]"


def test_step_hostlist_and_excluded_hosts_in_an_allocation(exp, alloc3):
    models = []
    for name, setter, hosts in (
        ("only_n2", "set_hostlist", ["n2"]),
        ("not_n1_n3", "set_excluded_hosts", ["n1", "n3"]),
        ("only_n3", "set_hostlist", "n3"),
        ("not_n2_n3", "set_excluded_hosts", ["n2", "n3"]),
    ):
        rs = exp.create_run_settings("hostname", run_args={"jobid": alloc3, "nodes": 1})
        getattr(rs, setter)(hosts)
        models.append(exp.create_model(name, rs))
    exp.start(*models)
    assert exp.get_status(*models) == [S.STATUS_COMPLETED] * 4
    assert [printed(exp, m) for m in models] == ["n2", "n2", "n3", "n1"]


def test_batch_orchestrator_on_chosen_nodes(exp):
    db = exp.create_database(
        db_nodes=3, port=6379, interface="ib0", batch=True, time="00:05:00",
        hosts=["n1", "n2", "n3"], single_cmd=True,
    )  # fmt: skip
    exp.start(db)
    try:
        assert sorted(host.split(":")[0] for host in db.get_address()) == sorted(
            node_address(node) for node in NODES
        )
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED] * len(db.entities)
