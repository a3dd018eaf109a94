"""Orchestrator and DBNode as SmartSim 0.8 builds them: run commands per launcher, single_cmd
(MPMD) nodes, reserved run and batch arguments, hosts, the DBNode API. No process starts."""

from __future__ import annotations

import logging
import pathlib

import pytest

from smartsim import Experiment
from smartsim._core.control import checkpoint
from smartsim._core.launcher.slurm.step import multi_prog
from smartsim.database import Orchestrator
from smartsim.error import SmartSimError, SSDBFilesNotParseable
from smartsim.settings import JsrunSettings, MpirunSettings, SrunSettings


def test_path_is_coerced_with_str(tmp_path):
    db = Orchestrator(path=pathlib.Path(tmp_path) / "db")
    assert db.path == str(tmp_path / "db")
    assert all(node.path == db.path for node in db)


@pytest.mark.parametrize(
    ("launcher", "run_command", "supported"),
    [
        ("local", "srun", "['']"),
        ("dragon", "mpirun", "['']"),
        ("slurm", "jsrun", "['srun', 'mpirun', 'mpiexec']"),
        ("pbs", "srun", "['aprun', 'mpirun', 'mpiexec']"),
        ("pals", "mpirun", "['mpiexec']"),
        ("lsf", "mpirun", "['jsrun']"),
        ("sge", "srun", "['mpirun', 'mpiexec', 'orterun']"),
    ],
)
def test_run_command_must_be_one_the_launcher_supports(launcher, run_command, supported):
    with pytest.raises(SmartSimError) as info:
        Orchestrator(launcher=launcher, run_command=run_command)
    assert str(info.value) == (
        f"Run command {run_command} is not supported on launcher {launcher}\n"
        f"Supported run commands for the given launcher are: {supported}"
    )


@pytest.mark.parametrize(
    ("launcher", "run_command", "cls"),
    [("sge", "orterun", "OrterunSettings"), ("slurm", "mpirun", "MpirunSettings")],
)
def test_supported_run_commands_are_accepted(launcher, run_command, cls):
    db = Orchestrator(launcher=launcher, run_command=run_command, hosts=["n1"])
    assert type(db.entities[0].run_settings).__name__ == cls


def test_local_batch_is_refused():
    with pytest.raises(SmartSimError, match="Local orchestrator can not be launched with batch"):
        Orchestrator(batch=True)


def test_single_cmd_makes_one_mpmd_node_counting_shards(tmp_path):
    db = Orchestrator(
        path=str(tmp_path), launcher="slurm", run_command="srun", db_nodes=3, single_cmd=True
    )
    (node,) = db.entities
    assert node.name == "orchestrator_0" and node.is_mpmd and node.num_shards == 3
    assert db.num_shards == db.db_nodes == 3 and db.is_clustered
    assert node.db_identifier == "orchestrator" and node.ports == [6379] * 3
    assert isinstance(node.run_settings, SrunSettings) and len(node.run_settings.mpmd) == 2
    for part in [node.run_settings, *node.run_settings.mpmd]:
        assert part.run_args["ntasks"] == 1 and part.run_args["ntasks-per-node"] == 1


def test_create_database_defaults_to_single_cmd(tmp_path):
    exp = Experiment("e", exp_path=str(tmp_path), launcher="slurm")
    db = exp.create_database(db_nodes=3, run_command="mpirun", hosts=["a", "b", "c"])
    assert [node.name for node in db] == ["orchestrator_0"] and db.num_shards == 3
    assert isinstance(db.entities[0].run_settings, MpirunSettings)


@pytest.mark.parametrize(
    ("kwargs", "env", "nodes"),
    [
        ({"launcher": "slurm", "run_command": "srun"}, {}, 1),
        ({"launcher": "slurm", "run_command": "srun"}, {"SLURM_HET_SIZE": "2"}, 3),
        ({"launcher": "slurm", "run_command": "srun", "single_cmd": False}, {}, 3),
        ({"launcher": "dragon"}, {}, 3),
        ({"launcher": "local"}, {}, 3),
        ({"launcher": "pbs", "run_command": "aprun", "batch": True}, {}, 3),
        ({"launcher": "pbs", "run_command": "aprun"}, {}, 1),
        ({"launcher": "lsf", "run_command": "jsrun", "single_cmd": False}, {}, 1),
    ],
)
def test_when_shards_share_one_command(monkeypatch, kwargs, env, nodes):
    monkeypatch.delenv("SLURM_HET_SIZE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    db = Orchestrator(db_nodes=3, **{"single_cmd": True, **kwargs})
    assert len(db.entities) == nodes and db.num_shards == 3
    assert [node.is_mpmd for node in db] == [nodes == 1] * nodes


def test_lsf_node_places_each_shard_with_its_own_erf_line():
    db = Orchestrator(launcher="lsf", run_command="jsrun", db_nodes=3, gpus_per_shard=1)
    settings = db.entities[0].run_settings
    assert isinstance(settings, JsrunSettings)
    parts = [settings, *settings.mpmd]
    assert [p.erf_sets for p in parts] == [
        {"rank": str(i), "host": str(i + 1), "cpu": "{0:4}", "gpu": "{0}"} for i in range(3)
    ]
    assert all(p.run_args["launch_distribution"] == "packed" for p in parts)


def test_reserved_run_arguments_are_refused_with_a_warning(caplog):
    db = Orchestrator(launcher="slurm", run_command="srun", db_nodes=3, single_cmd=False)
    with caplog.at_level(logging.WARNING, logger="smartsim"):
        db.set_run_arg("ntasks", "4")
        db.set_run_arg("chdir", "/elsewhere")
    assert [r.getMessage() for r in caplog.records] == [
        "Can not set run argument ntasks: it is a reserved keyword in Orchestrator",
        "Can not set run argument chdir: it is a reserved keyword in Orchestrator",
    ]
    db.set_run_arg("exclusive")
    db.set_run_arg("mem", "4G")
    for node in db:
        assert node.run_settings.run_args["ntasks"] == 1
        assert node.run_settings.run_args["exclusive"] is None
        assert node.run_settings.run_args["mem"] == "4G"


def test_run_arguments_reach_every_part_of_an_mpmd_node():
    db = Orchestrator(launcher="pbs", run_command="mpirun", db_nodes=3, single_cmd=True)
    db.set_run_arg("np", "8")  # reserved for MPI run commands
    db.set_run_arg("bind-to", "none")
    settings = db.entities[0].run_settings
    for part in [settings, *settings.mpmd]:
        assert part.run_args["bind-to"] == "none" and "np" not in part.run_args


def test_reserved_batch_arguments_are_refused_with_a_warning(caplog):
    db = Orchestrator(launcher="slurm", run_command="srun", db_nodes=1, batch=True)
    with caplog.at_level(logging.WARNING, logger="smartsim"):
        db.set_batch_arg("job-name", "mine")
    assert caplog.records[-1].getMessage() == (
        "Can not set batch argument job-name: it is a reserved keyword in Orchestrator"
    )
    db.set_batch_arg("exclusive")
    assert db.batch_settings.batch_args == {"nodes": "1", "exclusive": None}
    with pytest.raises(SmartSimError, match="Not running as batch, cannot set batch_arg"):
        Orchestrator(launcher="slurm", run_command="srun").set_batch_arg("exclusive")


def test_hosts_place_one_shard_per_host():
    db = Orchestrator(
        launcher="slurm", run_command="srun", db_nodes=3, single_cmd=False, hosts=["a", "b", "c"]
    )
    assert [node.run_settings.run_args["nodelist"] for node in db] == ["a", "b", "c"]
    mpmd = Orchestrator(
        launcher="slurm", run_command="srun", db_nodes=3, single_cmd=True, hosts=["a", "b", "c"]
    )
    settings = mpmd.entities[0].run_settings
    assert [p.run_args["nodelist"] for p in [settings, *settings.mpmd]] == ["a", "b", "c"]


def test_hosts_of_an_lsf_batch_database_go_to_bsub():
    db = Orchestrator(
        launcher="lsf", run_command="jsrun", db_nodes=3, batch=True, hosts=["h1", "h2", "h3"]
    )
    assert '-m "h1 h2 h3"' in db.batch_settings.format_batch_args()
    assert db.entities[0].hosts == ["h1", "h2", "h3"]


def test_hosts_are_ignored_on_the_local_launcher():
    db = Orchestrator(hosts=["elsewhere"])
    with pytest.raises(SSDBFilesNotParseable):
        db.hosts  # noqa: B018


def test_set_hosts_refuses_what_is_not_a_list_of_str():
    db = Orchestrator(launcher="slurm", run_command="srun")
    with pytest.raises(TypeError, match="host_list argument must be a list of strings"):
        db.set_hosts(("a", "b"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="host_list argument must be list of strings"):
        db.set_hosts(["a", 1])  # type: ignore[list-item]


def test_thread_counts_are_kept_as_given():
    db = Orchestrator(threads_per_queue=2, inter_op_threads=3, intra_op_threads=4)
    assert (db.queue_threads, db.inter_threads, db.intra_threads) == (2, 3, 4)
    assert Orchestrator().queue_threads is None


def test_dbnode_hosts_before_and_after_launch():
    db = Orchestrator(
        launcher="slurm", run_command="srun", db_nodes=3, single_cmd=True, db_identifier="feat"
    )
    (node,) = db.entities
    assert node.db_identifier == "feat" and node.name == "feat_0"
    with pytest.raises(SSDBFilesNotParseable):
        node.hosts  # noqa: B018
    with pytest.raises(SSDBFilesNotParseable):
        node.host  # noqa: B018
    node.set_hosts(["n1", "n1", "n1"])
    assert node.hosts == ["n1"] and node.host == "n1" and db.hosts == ["n1"]
    node.set_hosts(["n1", "n2", "n3"])
    assert node.hosts == ["n1", "n2", "n3"]
    with pytest.raises(ValueError, match="Multiple hosts detected for this DB Node: n1, n2, n3"):
        node.host  # noqa: B018
    node.clear_hosts()
    with pytest.raises(SSDBFilesNotParseable):
        node.hosts  # noqa: B018


def test_srun_mpmd_becomes_one_multi_prog_step():
    settings = SrunSettings("/bin/echo", ["a b", "plain"], run_args={"ntasks": 1, "mem": "1G"})
    settings.set_hostlist("n1")
    second = SrunSettings("/bin/echo", ["two"], run_args={"ntasks": 2})
    second.set_hostlist("n2")
    settings.make_mpmd(second)
    flat, text = multi_prog(settings, "/tmp/db.mpmd")
    assert text == "0 /bin/echo 'a b' plain\n1-2 /bin/echo two\n"
    assert flat.exe == ["/tmp/db.mpmd"] and flat.exe_args == [] and flat.mpmd == []
    assert flat.format_run_args() == [
        "--mem=1G", "--nodelist=n1,n2", "--ntasks=3", "--spread-job", "--overcommit",
        "--kill-on-bad-exit=1", "--multi-prog",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="quote"):
        multi_prog(SrunSettings("/bin/echo", ["it's"]), "/tmp/x.mpmd")


def test_checkpoint_keeps_an_mpmd_node_with_its_shards(tmp_path):
    db = Orchestrator(
        path=str(tmp_path), launcher="slurm", run_command="srun", db_nodes=3, single_cmd=True
    )
    (node,) = db.entities
    node.ports = [7000, 7001, 7002]
    node.set_shard_hosts([["10.0.0.1"], ["10.0.0.2"], ["10.0.0.2"]])
    checkpoint.write(db, ["12.3"], "slurm")
    again, job_ids, launcher = checkpoint.read(db.checkpoint_file)
    assert (job_ids, launcher, again.num_shards) == (["12.3"], "slurm", 3)
    (copy,) = again.entities
    assert copy.name == "orchestrator_0" and copy.is_mpmd and copy.ports == node.ports
    assert copy.hosts == ["10.0.0.1", "10.0.0.2"]
    assert again.shard_addresses == ["10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.2:7002"]


def test_set_cpus_reaches_every_shard_and_the_batch_job():
    db = Orchestrator(launcher="slurm", run_command="srun", db_nodes=3, single_cmd=True)
    db.set_cpus(4)
    settings = db.entities[0].run_settings
    assert [p.run_args["cpus-per-task"] for p in [settings, *settings.mpmd]] == [4, 4, 4]
    with pytest.raises(SmartSimError, match="Not running as batch, cannot set walltime"):
        db.set_walltime("00:10:00")
    batch = Orchestrator(launcher="slurm", run_command="srun", db_nodes=3, batch=True)
    batch.set_cpus(2)
    batch.set_walltime("00:10:00")
    assert batch.batch_settings.batch_args["cpus-per-task"] == "2"
    assert batch.batch_settings.batch_args["time"] == "00:10:00"
