"""The seed's example driver (a 3-shard database on ``ib0`` and a model) on three real nodes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from smartsim import Experiment
from smartsim.status import SmartSimStatus

from .conftest import NODES, REPO, node_address

S = SmartSimStatus


def shard_infos(db_dir: str) -> list[dict]:
    """What each shard printed once its server listened (name, addresses, port)."""
    infos = []
    for name in sorted(os.listdir(db_dir)):
        if name.endswith(".out"):
            with open(os.path.join(db_dir, name), encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("SMARTSIM_ORC_SHARD_INFO "):
                        infos.append(json.loads(line.split(" ", 1)[1]))
    return infos


def test_seed_example_verbatim_in_a_3_node_allocation(tmp_path):
    shutil.copy(REPO / "examples" / "experiment_example.py", tmp_path)
    # A step takes every CPU of its nodes unless it asks for only what it needs (srun
    # --exact): without it the model could not start beside a shard in 3 nodes running
    # 3 shards, on this Slurm as on any other. A site or user sets it in the environment.
    env = {**os.environ, "SLURM_EXACT": "1"}
    done = subprocess.run(
        ["salloc", "--nodes=3", "--time=00:10:00", sys.executable, "experiment_example.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    exp_dir = tmp_path / "example-experiment"
    # Three shards, one on each node, each bound to its own node's ib0 address.
    infos = shard_infos(str(exp_dir / "orchestrator"))
    assert sorted(address for info in infos for address in info["addresses"]) == sorted(
        node_address(node) for node in NODES
    ), log
    for name in os.listdir(exp_dir / "orchestrator"):
        if name.startswith("orchestrator_0_") and name.endswith(".out"):
            text = (exp_dir / "orchestrator" / name).read_text()
            info = next(i for i in infos if f"--port {i['port']} " in text)
            assert f"--bind {info['addresses'][0]} " in text
    # The model's srun names no node count: as any srun in an allocation, one task per node.
    assert (exp_dir / "hello_world" / "hello_world.out").read_text() == "Hello World\n" * 3
    # The preview names the interface; the summary has the model Completed (0) and the
    # database's node Cancelled by exp.stop.
    assert "Network Interface: ib0" in log
    rows = [line.split("|") for line in log.splitlines() if re.match(r"\| \d+ ", line)]
    status = {row[2].strip(): row[7].strip() for row in rows}
    assert status == {"hello_world": "Completed", "orchestrator_0": "Cancelled"}, log
    assert "Database orchestrator is ready at" in log
    assert "(cluster)" in log


CLIENT = textwrap.dedent(
    """
    import os, socket
    import numpy as np
    from smartredis import Client
    client = Client(cluster=True)
    for i in range(30):   # keys hash to all three shards
        client.put_tensor(f"t{i}", np.full(4, i, dtype=np.int32))
    assert all(client.get_tensor(f"t{i}")[0] == i for i in range(30))
    print(socket.gethostname(), os.environ["SSDB"])
    """
)


@pytest.mark.parametrize("single_cmd", [True, False], ids=["single_cmd", "one_step_per_shard"])
def test_model_on_each_node_reaches_the_cluster_through_ssdb(tmp_path, alloc3, single_cmd):
    exp = Experiment("mn", exp_path=str(tmp_path), launcher="slurm")
    db = exp.create_database(
        db_nodes=3, port=6379, interface="ib0", alloc=alloc3, single_cmd=single_cmd
    )
    db.set_run_arg("exact")  # one CPU per shard: the models run beside them
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    models = [
        exp.create_model(
            f"client_{node}",
            exp.create_run_settings(
                sys.executable,
                [str(script)],
                run_args={"jobid": alloc3, "nodelist": node, "exact": None},
            ),
        )  # fmt: skip
        for node in NODES
    ]
    try:
        exp.start(db)
        hosts = [host.split(":")[0] for host in db.get_address()]
        assert sorted(hosts) == sorted(node_address(node) for node in NODES)
        exp.start(*models)
        assert exp.get_status(*models) == [S.STATUS_COMPLETED] * 3
        for node, model in zip(NODES, models, strict=True):
            out = (tmp_path / model.name / f"{model.name}.out").read_text().split()
            assert out[0] == node
            assert sorted(out[1].split(",")) == sorted(db.get_address())
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED] * len(db.entities)
