"""SrunSettings and SbatchSettings: every setter's rendered arguments."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from smartsim.error import SSUnsupportedError
from smartsim.settings import SbatchSettings, Singularity, SrunSettings, slurmSettings

EXE = sys.executable


@pytest.fixture
def slurm_log(caplog, monkeypatch):
    """caplog that also sees the slurmSettings logger (which does not propagate)."""
    monkeypatch.setattr(slurmSettings.logger, "propagate", True)
    caplog.set_level(logging.WARNING)
    return caplog


# ---- srun -----------------------------------------------------------------------------


def test_srun_run_command_and_alloc():
    rs = SrunSettings(EXE, alloc="1234")
    assert rs._run_command == "srun"
    assert rs.alloc == "1234"
    assert rs.mpmd == []


def test_srun_common_setters():
    rs = SrunSettings(EXE)
    rs.set_nodes(5)
    rs.set_cpus_per_task(2)
    rs.set_tasks(100)
    rs.set_tasks_per_node(20)
    assert rs.format_run_args() == [
        "--nodes=5",
        "--cpus-per-task=2",
        "--ntasks=100",
        "--ntasks-per-node=20",
    ]


def test_srun_user_run_args_short_long_and_flags():
    run_args = {"account": "A3123", "exclusive": None, "C": "P100", "nodes": 10, "ntasks": 100}
    rs = SrunSettings(EXE, run_args=run_args)
    assert rs.format_run_args() == [
        "--account=A3123",
        "--exclusive",
        "-C",
        "P100",
        "--nodes=10",
        "--ntasks=100",
    ]


def test_srun_zero_value_is_rendered_not_dropped():
    rs = SrunSettings(EXE, run_args={"nodes": 0})
    assert rs.format_run_args() == ["--nodes=0"]


@pytest.mark.parametrize(
    "setter, value, argv",
    [
        ("set_nodes", 3, ["--nodes=3"]),
        ("set_tasks", 6, ["--ntasks=6"]),
        ("set_tasks_per_node", 6, ["--ntasks-per-node=6"]),
        ("set_cpus_per_task", 6, ["--cpus-per-task=6"]),
        ("set_hostlist", ["host_A", "host_B"], ["--nodelist=host_A,host_B"]),
        ("set_hostlist", " host_A ", ["--nodelist=host_A"]),
        ("set_hostlist_from_file", "./hostfile", ["--nodefile=./hostfile"]),
        ("set_excluded_hosts", ["n1", "n2"], ["--exclude=n1,n2"]),
        ("set_excluded_hosts", "n1", ["--exclude=n1"]),
        ("set_cpu_bindings", [1, 2, 3, 4], ["--cpu_bind=map_cpu:1,2,3,4"]),
        ("set_cpu_bindings", 2, ["--cpu_bind=map_cpu:2"]),
        ("set_memory_per_node", 8000, ["--mem=8000M"]),
        ("set_verbose_launch", True, ["--verbose"]),
        ("set_quiet_launch", True, ["--quiet"]),
        ("set_broadcast", "/tmp/some/path", ["--bcast=/tmp/some/path"]),
        ("set_broadcast", None, ["--bcast"]),
        ("set_node_feature", ["P100", "V100"], ["-C", "P100,V100"]),
        ("set_node_feature", "P100", ["-C", "P100"]),
        ("set_walltime", "10:00:00", ["--time=10:00:00"]),
    ],
)
def test_srun_setter_renders(setter, value, argv):
    rs = SrunSettings(EXE)
    getattr(rs, setter)(value)
    assert rs.format_run_args() == argv


@pytest.mark.parametrize(
    "setter, bad",
    [
        ("set_nodes", "x"),
        ("set_tasks", "not an int"),
        ("set_tasks_per_node", "not an int"),
        ("set_cpus_per_task", "not an int"),
        ("set_cpu_bindings", ["not_an_int"]),
        ("set_memory_per_node", "not_an_int"),
    ],
)
def test_srun_int_setters_raise_value_error(setter, bad):
    with pytest.raises(ValueError):
        getattr(SrunSettings(EXE), setter)(bad)


@pytest.mark.parametrize("setter", ["set_hostlist", "set_excluded_hosts", "set_node_feature"])
@pytest.mark.parametrize("bad", [5, [5], ["a", 5]])
def test_srun_list_setters_raise_type_error(setter, bad):
    with pytest.raises(TypeError):
        getattr(SrunSettings(EXE), setter)(bad)


def test_srun_verbose_and_quiet_can_be_removed():
    rs = SrunSettings(EXE)
    rs.set_verbose_launch(True)
    rs.set_quiet_launch(True)
    rs.set_verbose_launch(False)
    rs.set_quiet_launch(False)
    rs.set_quiet_launch(False)
    assert rs.format_run_args() == []


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"seconds": 72}, "00:01:12"),
        ({"hours": 1, "minutes": 31, "seconds": 1845}, "02:01:45"),
        ({"hours": 11}, "11:00:00"),
        ({"seconds": 0}, "00:00:00"),
    ],
)
def test_srun_set_time(kwargs, expected):
    rs = SrunSettings(EXE)
    rs.set_time(**kwargs)
    assert rs.format_run_args() == [f"--time={expected}"]


def test_srun_set_time_rejects_non_int():
    with pytest.raises(ValueError):
        SrunSettings(EXE).set_time("not an int")


@pytest.mark.parametrize("reserved", ["chdir", "D"])
def test_srun_reserved_args_cannot_be_set(reserved):
    rs = SrunSettings(EXE)
    rs.set(reserved, "/somewhere")
    assert reserved not in rs.run_args


def test_srun_set_generic_arg():
    rs = SrunSettings(EXE)
    rs.set("--partition", "debug")
    rs.set("exclusive")
    assert rs.format_run_args() == ["--partition=debug", "--exclusive"]


# ---- srun environment -----------------------------------------------------------------


def test_srun_format_env_vars_skips_compound_and_inherited():
    env = {"OMP_NUM_THREADS": 20, "LOGGING": "verbose", "SSKEYIN": "a,b", "INHERIT": None}
    rs = SrunSettings(EXE, env_vars=env)
    assert rs.format_env_vars() == ["OMP_NUM_THREADS=20", "LOGGING=verbose"]


def test_srun_format_comma_sep_env_vars():
    env = {"OMP_NUM_THREADS": 20, "SSKEYIN": "name_0,name_1", "LOGGING": "verbose", "H": None}
    rs = SrunSettings(EXE, env_vars=env)
    exported, compound = rs.format_comma_sep_env_vars()
    assert exported == "OMP_NUM_THREADS=20,LOGGING=verbose,SSKEYIN,H"
    assert compound == ["SSKEYIN=name_0,name_1"]


def test_srun_format_comma_sep_env_vars_includes_mpmd_compound_values():
    rs = SrunSettings(EXE, env_vars={"cmp1": "123,456", "norm1": "xyz"})
    rs.make_mpmd(SrunSettings(EXE, env_vars={"cmp2": "222,333", "norm2": "pqr"}))
    exported, compound = rs.format_comma_sep_env_vars()
    assert exported == "norm1=xyz,cmp1"
    assert compound == ["cmp1=123,456", "cmp2=222,333"]


def test_srun_check_env_vars_warns_on_conflict(slurm_log):
    rs = SrunSettings(EXE, env_vars={"SMARTSIM_TEST_VAR": "B", "CSV": "C,D", "SAME": "1"})
    rs.check_env_vars({"SMARTSIM_TEST_VAR": "A", "CSV": "A,B", "SAME": "1"})
    messages = [r.getMessage() for r in slurm_log.records]
    assert messages == [
        "Variable SMARTSIM_TEST_VAR is set to A in current environment. If the job is running "
        "in an interactive allocation, the value B will not be set. Please consider removing "
        "the variable from the environment and re-run the experiment."
    ]


def test_srun_check_env_vars_without_environment_is_silent(slurm_log):
    rs = SrunSettings(EXE, env_vars={"PATH": "/nowhere"})
    rs.check_env_vars()
    rs.format_env_vars()
    rs.format_comma_sep_env_vars()
    assert slurm_log.records == []


# ---- srun MPMD and heterogeneous jobs -------------------------------------------------


def test_srun_make_mpmd():
    rs, other = SrunSettings(EXE), SrunSettings(EXE)
    rs.make_mpmd(other)
    assert rs.mpmd == [other]


def test_srun_mpmd_rejects_colocated_db():
    rs = SrunSettings(EXE)
    rs.colocated_db_settings = {"port": 6379, "cpus": 1}
    with pytest.raises(SSUnsupportedError):
        rs.make_mpmd(SrunSettings(EXE))


def test_srun_mpmd_rejects_container():
    rs = SrunSettings("python3", container=Singularity("image.sif"))
    with pytest.raises(SSUnsupportedError):
        rs.make_mpmd(SrunSettings(EXE))


def test_srun_mpmd_rejects_het_group(slurm_log):
    rs = SrunSettings(EXE)
    rs.set_het_group([0])
    with pytest.raises(ValueError, match="heterogeneous"):
        rs.make_mpmd(SrunSettings(EXE))


def test_srun_set_het_group(slurm_log):
    rs = SrunSettings(EXE)
    rs.set_het_group([0, 2], het_size=3)
    assert rs.format_run_args() == ["--het-group=0,2"]
    assert "experimental feature" in slurm_log.text


def test_srun_set_het_group_beyond_allocation():
    with pytest.raises(ValueError, match="Het group 3 requested.*max het group in allocation is 1"):
        SrunSettings(EXE).set_het_group([0, 3], het_size=2)


@pytest.mark.parametrize("bad", [[], [-1], ["x"]])
def test_srun_set_het_group_bad_groups(bad):
    with pytest.raises(ValueError):
        SrunSettings(EXE).set_het_group(bad)


def test_srun_set_het_group_on_mpmd_raises():
    rs = SrunSettings(EXE)
    rs.make_mpmd(SrunSettings(EXE))
    with pytest.raises(ValueError, match="MPMD"):
        rs.set_het_group([0], het_size=2)


# ---- sbatch ---------------------------------------------------------------------------


def test_sbatch_constructor():
    bs = SbatchSettings(nodes=1, time="10:00:00", account="A3123")
    assert os.path.basename(bs.batch_cmd) == "sbatch"  # a full path where Slurm is installed
    assert bs.format_batch_args() == ["--nodes=1", "--time=10:00:00", "--account=A3123"]


def test_sbatch_manual():
    bs = SbatchSettings()
    bs.set_nodes(5)
    bs.set_account("A3531")
    bs.set_walltime("10:00:00")
    assert bs.format_batch_args() == ["--nodes=5", "--account=A3531", "--time=10:00:00"]


@pytest.mark.parametrize(
    "setter, value, argv",
    [
        ("set_nodes", 4, ["--nodes=4"]),
        ("set_walltime", "01:00:00", ["--time=01:00:00"]),
        ("set_account", "acct", ["--account=acct"]),
        ("set_partition", "gpu", ["--partition=gpu"]),
        ("set_queue", "gpu", ["--partition=gpu"]),
        ("set_cpus_per_task", 8, ["--cpus-per-task=8"]),
        ("set_hostlist", ["n1", "n2"], ["--nodelist=n1,n2"]),
        ("set_hostlist", "n1", ["--nodelist=n1"]),
    ],
)
def test_sbatch_setter_renders(setter, value, argv):
    bs = SbatchSettings()
    getattr(bs, setter)(value)
    assert bs.format_batch_args() == argv


@pytest.mark.parametrize("setter", ["set_nodes", "set_walltime", "set_account", "set_queue"])
def test_sbatch_empty_values_are_ignored(setter):
    bs = SbatchSettings()
    getattr(bs, setter)(0 if setter == "set_nodes" else "")
    assert bs.format_batch_args() == []


def test_sbatch_batch_args_flags_and_short_options():
    bs = SbatchSettings(batch_args={"exclusive": None, "C": "knl", "mem": "10G"})
    assert bs.format_batch_args() == ["--exclusive", "-C", "knl", "--mem=10G"]


def test_sbatch_hostlist_type_error():
    with pytest.raises(TypeError):
        SbatchSettings().set_hostlist([1])


def test_sbatch_job_directives_in_script():
    script = SbatchSettings(nodes=1).render_script("job", "/o/job.out", "/o/job.err", [["a"]])
    assert script.splitlines()[:6] == [
        "#!/bin/bash",
        "",
        "#SBATCH --output=/o/job.out",
        "#SBATCH --error=/o/job.err",
        "#SBATCH --job-name=job",
        "#SBATCH --nodes=1",
    ]
