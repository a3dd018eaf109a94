"""What needs several nodes: an MPMD step whose parts run on different nodes (srun's
heterogeneous step), and an MPI model with a colocated database on each of its nodes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from smartsim import Experiment
from smartsim.settings import SrunSettings
from smartsim.status import SmartSimStatus

from .conftest import NODES

S = SmartSimStatus


def test_mpmd_parts_run_on_their_own_nodes(tmp_path, alloc3):
    exp = Experiment("mn", exp_path=str(tmp_path), launcher="slurm")
    parts = [
        SrunSettings(
            "sh",
            ["-c", 'echo "$PART $(hostname) $COMMON"'],
            run_args={"nodes": 1, "ntasks": 1},
            env_vars={"PART": f"p{i}", "COMMON": "c"},
        )  # fmt: skip
        for i in range(3)
    ]
    parts[0].run_args["jobid"] = alloc3
    parts[0].make_mpmd(parts[1])
    parts[0].make_mpmd(parts[2])
    model = exp.create_model("mpmd", parts[0])
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_COMPLETED]
    lines = sorted((tmp_path / "mpmd" / "mpmd.out").read_text().splitlines())
    # One heterogeneous step of 3 components, each on its own node with its own value of
    # PART (srun's environment held p0, which used to win over the other parts' --export).
    assert [line.split()[0] for line in lines] == ["p0", "p1", "p2"]
    assert sorted(line.split()[1] for line in lines) == list(NODES)
    assert {line.split()[2] for line in lines} == {"c"}


# Each rank writes its key to the database SSDB names, waits until every rank has written,
# and records its host and every rank key its database holds.
RANK = textwrap.dedent(
    """
    import os, socket, sys, time
    import numpy as np
    from smartredis import Client
    rank = os.environ["OMPI_COMM_WORLD_RANK"]
    client = Client(cluster=False)
    client.put_tensor(f"rank{rank}", np.array([int(rank)]))
    open(f"wrote-{rank}", "w").close()
    while sum(f.startswith("wrote-") for f in os.listdir(".")) < 3:
        time.sleep(0.1)
    held = [r for r in range(3) if client.tensor_exists(f"rank{r}")]
    with open(f"rank-{rank}", "w") as out:
        out.write(f"{socket.gethostname()} {os.environ['SSDB']} {held}")
    """
)

DRIVER = textwrap.dedent(
    """
    import sys
    from smartsim import Experiment
    exp = Experiment("colo", launcher="slurm")
    rs = exp.create_run_settings(
        sys.executable, ["rank.py"], run_command="mpirun", run_args={"npernode": 1}
    )
    rs.set_tasks(3)
    model = exp.create_model("mpi", rs)
    model.attach_generator_files(to_copy=["rank.py"])
    model.colocate_db_tcp(port=6780, ifname="lo")
    exp.generate(model)
    exp.start(model)
    print("STATUS", exp.get_status(model)[0])
    """
)


def test_mpi_model_ranks_use_their_own_nodes_colocated_database(tmp_path):
    (tmp_path / "rank.py").write_text(RANK)
    (tmp_path / "driver.py").write_text(DRIVER)
    env = {
        **os.environ,
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        # mpirun (on the front end) and its daemons (on the nodes) meet on the nodes'
        # network, as a site's Open MPI configuration names its fabric.
        "OMPI_MCA_oob_tcp_if_include": "10.77.0.0/24",
        "OMPI_MCA_btl_tcp_if_include": "10.77.0.0/24",
    }
    done = subprocess.run(
        ["salloc", "--nodes=3", "--exclusive", "--time=00:10:00", sys.executable, "driver.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "STATUS Completed" in log, log
    model_dir = tmp_path / "colo" / "mpi"
    reports = [(model_dir / f"rank-{r}").read_text().split(" ", 2) for r in range(3)]
    assert sorted(host for host, _, _ in reports) == list(NODES), reports
    for rank, (_, ssdb, held) in enumerate(reports):
        assert ssdb == "127.0.0.1:6780"
        assert held == f"[{rank}]", reports  # its own node's database: its key only
