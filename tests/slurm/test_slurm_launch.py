"""The Slurm launcher against a real single-node Slurm: steps, batch jobs, stop, statuses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from smartsim import Experiment
from smartsim._core.launcher.slurm import step as slurm_step
from smartsim._core.launcher.wlm import FIRST_INTERVAL
from smartsim._core.teardown import teardown
from smartsim._core.utils.network import find_free_port, find_free_ports
from smartsim.error import AllocationError, LauncherError
from smartsim.settings import SbatchSettings, SrunSettings
from smartsim.status import SmartSimStatus
from smartsim.wlm import detect_launcher, slurm

S = SmartSimStatus


@pytest.fixture
def exp(tmp_path):
    experiment = Experiment("exp", exp_path=str(tmp_path), launcher="slurm")
    yield experiment
    experiment._control.stop_all()


def _read(path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _wait_status(exp, entity, wanted: SmartSimStatus, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if exp.get_status(entity)[0] == wanted:
            return
        time.sleep(0.05)
    raise AssertionError(f"{entity.name} is {exp.get_status(entity)}, not {wanted}")


def test_auto_picks_slurm(tmp_path):
    assert detect_launcher() == "slurm"
    assert Experiment("e", exp_path=str(tmp_path), launcher="auto").launcher == "slurm"


def test_model_in_allocation(exp, alloc, tmp_path):
    rs = exp.create_run_settings(
        "sh", exe_args=["-c", "echo out; echo err >&2; pwd; echo $SLURM_JOB_ID $A"],
        run_args={"jobid": alloc}, env_vars={"A": "a,b"},
    )  # fmt: skip
    assert isinstance(rs, SrunSettings)
    model = exp.create_model("m", rs)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_COMPLETED]
    run = exp._control.jobs()[0].current
    assert run.job_id.startswith(f"{alloc}.") and run.returncode == 0
    assert _read(tmp_path / "m" / "m.out").splitlines() == [
        "out", str(tmp_path / "m"), f"{alloc} a,b"
    ]  # fmt: skip
    assert _read(tmp_path / "m" / "m.err") == "err\n"


def test_batch_model_gets_a_value_holding_a_comma(exp, tmp_path):
    batch = exp.create_batch_settings(nodes=1, time="00:05:00")
    rs = exp.create_run_settings("sh", exe_args=["-c", "echo $K"], env_vars={"K": "1,2"})
    model = exp.create_model("m", rs, batch_settings=batch)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_COMPLETED]
    assert _read(tmp_path / "m" / "m.out") == "1,2\n"


def test_mpmd_part_gets_a_value_holding_a_comma(alloc, tmp_path):
    first = SrunSettings("true")
    second = SrunSettings("sh", exe_args=["-c", "echo $K $J"], env_vars={"K": "1,2", "J": "3"})
    first.make_mpmd(second)
    argv = slurm_step.srun_argv(first, alloc, str(tmp_path))
    assert argv[:2] == ["env", "K=1,2"] and "--export=ALL,J=3,K" in argv
    # Slurm gives each component of a heterogeneous step nodes of its own, which one node
    # cannot: run the MPMD part alone, with the srun environment and flags rendered for it.
    srun = argv[2:]
    part = srun[srun.index(":") + 1 :]
    rendered = [*argv[:2], srun[0], f"--jobid={alloc}", "--ntasks=1", *part]
    assert _srun_output(rendered) == "1,2 3\n"
    # What the value in --export would do: srun splits it at the comma.
    naive = [srun[0], f"--jobid={alloc}", "--ntasks=1", "--export=ALL,J=3,K=1,2", *part[1:]]
    assert _srun_output(naive) == "1 3\n"


def _srun_output(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_allocation_from_environment_and_alloc_argument(exp, alloc, monkeypatch):
    from_alloc = exp.create_model("arg", SrunSettings("true", alloc=alloc))
    exp.start(from_alloc)
    monkeypatch.setenv("SLURM_JOB_ID", alloc)  # as in a driver run inside the allocation
    from_env = exp.create_model("env", exp.create_run_settings("true"))
    exp.start(from_env)
    assert exp.get_status(from_env, from_alloc) == [S.STATUS_COMPLETED] * 2


def test_no_allocation_is_refused(exp):
    model = exp.create_model("m", exp.create_run_settings("true"))
    with pytest.raises(AllocationError, match="No allocation for srun step 'm'"):
        exp.start(model)


def test_failing_step_is_failed_with_its_code(exp, alloc):
    rs = exp.create_run_settings("sh", exe_args=["-c", "exit 3"], run_args={"jobid": alloc})
    model = exp.create_model("bad", rs)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_FAILED]
    assert exp._control.jobs()[0].current.returncode == 3


def test_bad_run_argument_fails_the_step(exp, alloc):
    rs = exp.create_run_settings("true", run_args={"jobid": alloc, "nodes": 5})
    model = exp.create_model("toobig", rs)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_FAILED]
    assert "srun: error" in _read(os.path.join(model.path, "toobig.err"))


def test_stop_running_step_is_cancelled(exp, alloc):
    rs = exp.create_run_settings("sleep", exe_args=["60"], run_args={"jobid": alloc})
    model = exp.create_model("sleeper", rs)
    exp.start(model, block=False)
    _wait_status(exp, model, S.STATUS_RUNNING)
    started = time.monotonic()
    exp.stop(model)
    assert exp.get_status(model) == [S.STATUS_CANCELLED]
    assert time.monotonic() - started < 15


def test_batch_ensemble_is_one_job(exp, tmp_path):
    batch = exp.create_batch_settings(nodes=1, time="00:05:00", batch_args={"exclusive": None})
    assert isinstance(batch, SbatchSettings)
    rs = exp.create_run_settings("sh", exe_args=["-c", "echo member $SLURM_JOB_ID"])
    ens = exp.create_ensemble("ens", batch_settings=batch, run_settings=rs, replicas=3)
    exp.start(ens)
    assert exp.get_status(ens) == [S.STATUS_COMPLETED] * 3
    ids = [job.current.job_id for job in exp._control.jobs()]
    batch_job = ids[0].split(".")[0]
    assert all(job_id.startswith(f"{batch_job}.") for job_id in ids)
    for i in range(3):
        assert _read(tmp_path / "ens" / f"ens_{i}" / f"ens_{i}.out") == f"member {batch_job}\n"
    assert (tmp_path / "ens" / "ens.sh").read_text().count("srun") == 3


def test_failing_batch_model_is_failed_with_its_code(exp):
    batch = exp.create_batch_settings(nodes=1, time="00:05:00")
    rs = exp.create_run_settings("sh", exe_args=["-c", "exit 7"])
    model = exp.create_model("bm", rs, batch_settings=batch)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_FAILED]
    assert exp._control.jobs()[0].current.returncode == 7


def test_stop_running_batch_job_is_cancelled(exp):
    batch = exp.create_batch_settings(nodes=1, time="00:05:00")
    model = exp.create_model("long", exp.create_run_settings("sleep", ["60"]), batch_settings=batch)
    exp.start(model, block=False)
    _wait_status(exp, model, S.STATUS_RUNNING)
    exp.stop(model)
    assert exp.get_status(model) == [S.STATUS_CANCELLED]
    job_id = exp._control.jobs()[0].current.job_id
    out = os.popen(f"sacct --noheader --parsable2 --format=State --jobs={job_id}").read()
    assert out.splitlines()[0].startswith("CANCELLED")


def test_rejected_batch_job_names_the_reason(exp):
    batch = exp.create_batch_settings(nodes=1, queue="no-such-partition")
    model = exp.create_model("bm", exp.create_run_settings("true"), batch_settings=batch)
    with pytest.raises(
        LauncherError, match="(?s)sbatch rejected batch job .bm. .exit 1.: .*partition"
    ):
        exp.start(model)


def test_status_commands_one_per_interval_for_32_members(exp, alloc, monkeypatch):
    # --exact: each step takes one CPU, so that the 32 run side by side in the allocation
    rs = exp.create_run_settings(
        "sh", exe_args=["-c", "sleep 0.5"], run_args={"jobid": alloc, "exact": None}
    )
    ens = exp.create_ensemble("many", run_settings=rs, replicas=32)
    launcher = exp._control.launcher
    calls: list[tuple[float, list[str]]] = []
    run = launcher.run

    def counting_run(argv, stdin=None):
        calls.append((time.monotonic(), list(argv)))
        return run(argv, stdin)

    monkeypatch.setattr(launcher, "run", counting_run)
    started = time.monotonic()
    exp.start(ens)
    elapsed = time.monotonic() - started
    assert exp.get_status(ens) == [S.STATUS_COMPLETED] * 32
    status = [(at, argv) for at, argv in calls if argv[0] == "sacct"]
    assert all(f"--jobs={alloc}" in argv for _, argv in status)
    # squeue once at most: where sacct lags behind (it calls the allocation PENDING)
    assert sum(argv[0] == "squeue" for _, argv in calls) <= 1
    gaps = [b[0] - a[0] for a, b in zip(status, status[1:], strict=False)]
    assert min(gaps) >= FIRST_INTERVAL * 0.9, gaps
    assert len(status) <= elapsed / FIRST_INTERVAL + 1


def test_model_reaches_three_shard_orchestrator_through_ssdb(exp, alloc):
    port = find_free_ports(3, cluster=True)
    db = exp.create_database(port=port, db_nodes=3, interface="lo", alloc=alloc, single_cmd=False)
    db.set_run_arg("exact")  # one CPU per shard: the steps share the node with the model
    code = (
        "import os; from smartredis.wire.connection import Connection; "
        "addrs = os.environ['SSDB'].split(','); "
        "print(len(addrs), os.environ['SR_DB_TYPE'], Connection(addrs[0]).execute('PING'))"
    )
    rs = exp.create_run_settings(
        sys.executable, exe_args=["-c", code], run_args={"jobid": alloc, "exact": None}
    )
    rs.update_env({"PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(__file__)))})
    model = exp.create_model("client", rs)
    exp.start(db)
    try:
        assert exp.get_status(db) == [S.STATUS_RUNNING] * 3
        assert db.get_address() == [f"127.0.0.1:{port + i}" for i in range(3)]
        assert all(job.current.job_id.startswith(f"{alloc}.") for job in exp._control.jobs())
        exp.start(model)
        assert exp.get_status(model) == [S.STATUS_COMPLETED]
        assert _read(os.path.join(model.path, "client.out")) == "3 Clustered PONG\n"
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED] * 3


def _client_model(exp, alloc):
    """A model that PINGs the first database address and prints what it learnt."""
    code = (
        "import os; from smartredis.wire.connection import Connection; "
        "addrs = os.environ['SSDB'].split(','); "
        "print(len(addrs), os.environ['SR_DB_TYPE'], Connection(addrs[-1]).execute('PING'))"
    )
    rs = exp.create_run_settings(
        sys.executable, exe_args=["-c", code], run_args={"jobid": alloc, "exact": None}
    )
    rs.update_env({"PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(__file__)))})
    return exp.create_model("client", rs)


def _shard_processes(db) -> list[str]:
    """Command lines of processes of this database still on the machine."""
    done = subprocess.run(["pgrep", "-af", db.path], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if "pgrep" not in line]


def test_single_cmd_database_is_one_srun_step_of_three_shards(exp, alloc):
    """srun cannot put the parts of a heterogeneous step (``srun ... : ...``) on one node, so
    an MPMD database node is one srun --multi-prog step: a task per shard, each with its own
    port and output files."""
    port = find_free_ports(3, cluster=True)
    db = exp.create_database(port=port, db_nodes=3, interface="lo", alloc=alloc)
    db.set_run_arg("exact")
    (node,) = db.entities
    assert node.name == "orchestrator_0" and node.is_mpmd and db.num_shards == 3
    exp.start(db)
    try:
        assert exp.get_status(db) == [S.STATUS_RUNNING]
        (job,) = exp._control.jobs()
        assert job.current.job_id.startswith(f"{alloc}.")
        assert node.ports == [port, port + 1, port + 2] and node.hosts == ["127.0.0.1"]
        assert db.get_address() == [f"127.0.0.1:{port + i}" for i in range(3)]
        for i in range(3):
            with open(os.path.join(db.path, f"orchestrator_0_{i}.out")) as handle:
                assert f"smartsim shard orchestrator_{i} " in handle.read()
        model = _client_model(exp, alloc)
        exp.start(model)
        assert exp.get_status(model) == [S.STATUS_COMPLETED]
        assert _read(os.path.join(model.path, "client.out")) == "3 Clustered PONG\n"
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED]
    assert not db.is_active() and _shard_processes(db) == []


def test_a_failing_shard_fails_its_single_cmd_node(exp, alloc):
    port = find_free_ports(3, cluster=True)
    db = exp.create_database(port=port, db_nodes=3, interface="lo", alloc=alloc)
    db.set_run_arg("exact")
    exp.start(db)
    try:
        out = _read(os.path.join(db.path, "orchestrator_0_1.out"))
        server = int(re.search(r"\(server pid (\d+)\)", out).group(1))
        os.kill(server, signal.SIGKILL)  # the second shard's server dies
        _wait_status(exp, db, S.STATUS_FAILED)
        err = _read(os.path.join(db.path, "orchestrator_0.err"))
        assert "task 1" in err  # srun names the shard's task; the others were ended with it
    finally:
        exp.stop(db)
    assert not db.is_active() and _shard_processes(db) == []


def test_single_cmd_batch_database_is_one_job_step(exp):
    """A batch database's MPMD node is one srun of the job; its shards may outnumber the
    job's CPUs (one node here, one CPU by default)."""
    port = find_free_ports(3, cluster=True)
    db = exp.create_database(port=port, db_nodes=3, batch=True, interface="lo", time="00:05:00")
    db.batch_settings.set_nodes(1)  # this Slurm has one node; SmartSim asks one per shard
    exp.start(db)
    try:
        assert exp.get_status(db) == [S.STATUS_RUNNING]
        assert db.get_address() == [f"127.0.0.1:{port + i}" for i in range(3)]
        assert "--multi-prog" in _read(os.path.join(db.path, "orchestrator.sh"))
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED]
    assert _shard_processes(db) == []


def test_batch_orchestrator_and_batch_model_reaching_it(exp):
    port = find_free_port()
    db = exp.create_database(port=port, db_nodes=1, batch=True, interface="lo", time="00:05:00")
    code = (
        "import os; from smartredis.wire.connection import Connection; "
        "print(Connection(os.environ['SSDB']).execute('PING'))"
    )
    rs = exp.create_run_settings(sys.executable, exe_args=["-c", code])
    rs.update_env({"PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(__file__)))})
    model = exp.create_model("client", rs, batch_settings=exp.create_batch_settings(nodes=1))
    exp.start(db)
    try:
        assert db.get_address() == [f"127.0.0.1:{port}"]
        exp.start(model)
        assert exp.get_status(model) == [S.STATUS_COMPLETED]
        assert _read(os.path.join(model.path, "client.out")) == "PONG\n"
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED]


def test_pending_batch_job_shows_queued_then_cancelled(exp, monkeypatch):
    launcher = exp._control.launcher
    answers: list[dict] = []
    query = launcher.query_status

    def recorded(job_ids):
        infos = query(job_ids)
        answers.append(infos or {})
        return infos

    monkeypatch.setattr(launcher, "query_status", recorded)
    batch = exp.create_batch_settings(nodes=1, batch_args={"begin": "now+1hour"})
    model = exp.create_model("later", exp.create_run_settings("true"), batch_settings=batch)
    exp.start(model, block=False)
    job = exp._control.jobs()[0].current.job_id
    deadline = time.monotonic() + 10
    while not any(job in infos for infos in answers) and time.monotonic() < deadline:
        time.sleep(0.05)
    seen = [infos[job].status for infos in answers if job in infos]
    assert seen and set(seen) == {S.STATUS_QUEUED}  # Slurm's PENDING, as sacct answered it
    assert exp.get_status(model) == [S.STATUS_QUEUED]
    exp.stop(model)
    assert exp.get_status(model) == [S.STATUS_CANCELLED]


def test_smart_teardown_cancels_recorded_steps_and_batch_jobs(exp, tmp_path):
    alloc = slurm.get_allocation(nodes=1, time="00:05:00")  # one CPU: the batch job fits too
    try:
        rs = exp.create_run_settings("sleep", ["60"], run_args={"jobid": alloc})
        step = exp.create_model("s", rs)
        batch = exp.create_batch_settings(nodes=1)
        job = exp.create_model("b", exp.create_run_settings("sleep", ["60"]), batch_settings=batch)
        exp.start(step, job, block=False)
        _wait_status(exp, step, S.STATUS_RUNNING)
        _wait_status(exp, job, S.STATUS_RUNNING)
        stopped = teardown(str(tmp_path))  # as `smart teardown` after the driver died
        assert sorted(entry.name for entry in stopped) == ["b", "s"]
        _wait_status(exp, step, S.STATUS_CANCELLED)
        _wait_status(exp, job, S.STATUS_CANCELLED)
        ids = [run.current.job_id for run in exp._control.jobs()]
        exp._control.launcher.wait_cancelled(ids, time.monotonic() + 10)
    finally:
        slurm.release_allocation(alloc)


def test_colocated_database_runs_inside_the_step(exp, alloc):
    port = find_free_port()
    code = (
        "import os; from smartredis.wire.connection import Connection; "
        "print(os.environ['SLURM_STEP_ID'], Connection(os.environ['SSDB']).execute('PING'))"
    )
    rs = exp.create_run_settings(
        sys.executable, exe_args=["-c", code], run_args={"jobid": alloc, "exact": None}
    )
    rs.update_env({"PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(__file__)))})
    model = exp.create_model("colo", rs)
    model.colocate_db_tcp(port=port)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_COMPLETED]
    step_id = exp._control.jobs()[0].current.job_id.split(".")[1]
    assert _read(os.path.join(model.path, "colo.out")).split()[-2:] == [step_id, "PONG"]
