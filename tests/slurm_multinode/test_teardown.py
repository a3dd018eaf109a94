"""`smart teardown` after the driver is killed with a database, a model and a batch job
running on all three nodes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from smartsim.wlm import slurm

from .conftest import NODES, netns_pids, node_address, squeue_jobs, wait_until

DRIVER = textwrap.dedent(
    """
    import sys
    from smartsim import Experiment
    alloc = sys.argv[1]
    exp = Experiment("torn", launcher="slurm")
    db = exp.create_database(db_nodes=3, port=6379, interface="ib0", alloc=alloc)
    db.set_run_arg("exact")
    model = exp.create_model("sleeper", exp.create_run_settings(
        "sleep", ["300"], run_args={"jobid": alloc, "nodes": 3, "exact": None}))
    batch = exp.create_batch_settings(nodes=3, time="00:05:00")
    ens = exp.create_ensemble("ens", batch_settings=batch, replicas=3,
        run_settings=exp.create_run_settings("sleep", ["300"], run_args={"nodes": 1}))
    exp.start(db)
    exp.start(model, ens, block=False)
    print("READY", ",".join(db.get_address()), flush=True)
    while True:
        exp.poll(interval=1, verbose=False)
    """
)


def steps_of(job: str) -> list[str]:
    done = subprocess.run(
        ["squeue", "--noheader", "--steps", "--format=%i", f"--jobs={job}"],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return done.stdout.split()


def running_jobs() -> list[str]:
    done = subprocess.run(
        ["squeue", "--noheader", "--states=RUNNING", "--format=%i"],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return done.stdout.split()


@pytest.fixture
def alloc3():
    """4 CPUs on each node, not whole nodes: the batch job gets cores on the same nodes."""
    alloc_id = slurm.get_allocation(nodes=3, time="00:10:00", options={"ntasks-per-node": 4})
    yield alloc_id
    slurm.release_allocation(alloc_id)


def test_smart_teardown_after_the_driver_is_killed(tmp_path, alloc3):
    (tmp_path / "driver.py").write_text(DRIVER)
    out = open(tmp_path / "driver.out", "w+", encoding="utf-8")  # noqa: SIM115
    driver = subprocess.Popen(
        [sys.executable, "driver.py", alloc3], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        wait_until(lambda: "READY" in (tmp_path / "driver.out").read_text(), 120, "the driver")
        ready = next(line for line in (tmp_path / "driver.out").read_text().splitlines()
                     if line.startswith("READY"))  # fmt: skip
        hosts = sorted(address.split(":")[0] for address in ready.split()[1].split(","))
        assert hosts == sorted(node_address(node) for node in NODES)
        # The batch ensemble too runs on the three nodes before the driver dies.
        wait_until(lambda: len(running_jobs()) == 2, 60, "the batch job to start")
        wait_until(lambda: all(len(netns_pids(n)) > 3 for n in NODES), 60, "every node busy")
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=10)
        time.sleep(1)
        assert steps_of(alloc3), "the driver's steps should outlive it"

        done = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "smart"), "teardown",
             str(tmp_path / "torn")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        # Every step of the allocation and the batch job are gone; on every node nothing
        # runs but its slurmd.
        wait_until(lambda: not [s for s in steps_of(alloc3) if "extern" not in s], 60, "steps")
        wait_until(lambda: squeue_jobs() == [alloc3], 60, "the batch job to end")
        for node in NODES:
            wait_until(lambda node=node: len(netns_pids(node)) == 1, 30, f"{node} to be clean")
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        out.close()
