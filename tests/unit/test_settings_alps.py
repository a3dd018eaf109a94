"""AprunSettings: every setter's rendered arguments."""

from __future__ import annotations

import sys

import pytest

from smartsim.error import SSUnsupportedError
from smartsim.settings import AprunSettings, Singularity

EXE = sys.executable


def test_run_command():
    assert AprunSettings(EXE)._run_command == "aprun"


def test_common_setters():
    rs = AprunSettings(EXE)
    rs.set_cpus_per_task(2)
    rs.set_tasks(100)
    rs.set_tasks_per_node(20)
    assert rs.format_run_args() == ["--cpus-per-pe=2", "--pes=100", "--pes-per-node=20"]


def test_user_run_args():
    run_args = {"z": None, "sync-output": None, "wdir": "/some/path", "pes": 5, "d": 2}
    rs = AprunSettings(EXE, run_args=run_args)
    assert rs.format_run_args() == ["-z", "--sync-output", "--pes=5", "-d", "2"]


@pytest.mark.parametrize(
    "setter, value, argv",
    [
        ("set_cpus_per_task", 6, ["--cpus-per-pe=6"]),
        ("set_tasks", 6, ["--pes=6"]),
        ("set_tasks_per_node", 6, ["--pes-per-node=6"]),
        ("set_hostlist", ["host_A", "host_B"], ["--node-list=host_A,host_B"]),
        ("set_hostlist", "host_A", ["--node-list=host_A"]),
        ("set_hostlist_from_file", "./hostfile", ["--node-list-file=./hostfile"]),
        ("set_excluded_hosts", ["n1", "n2"], ["--exclude-node-list=n1,n2"]),
        ("set_excluded_hosts", "n1", ["--exclude-node-list=n1"]),
        ("set_cpu_bindings", [1, 2, 3, 4], ["--cpu-binding=1,2,3,4"]),
        ("set_cpu_bindings", 2, ["--cpu-binding=2"]),
        ("set_memory_per_node", 8000, ["--memory-per-pe=8000"]),
        ("set_verbose_launch", True, ["--debug=7"]),
        ("set_quiet_launch", True, ["--quiet"]),
        ("set_walltime", "72", ["--cpu-time-limit=72"]),
    ],
)
def test_setter_renders(setter, value, argv):
    rs = AprunSettings(EXE)
    getattr(rs, setter)(value)
    assert rs.format_run_args() == argv


@pytest.mark.parametrize(
    "setter, bad",
    [
        ("set_cpus_per_task", "not an int"),
        ("set_tasks", "not an int"),
        ("set_tasks_per_node", "not an int"),
        ("set_cpu_bindings", ["not_an_int"]),
        ("set_memory_per_node", "not_an_int"),
    ],
)
def test_int_setters_raise_value_error(setter, bad):
    with pytest.raises(ValueError):
        getattr(AprunSettings(EXE), setter)(bad)


@pytest.mark.parametrize("setter", ["set_hostlist", "set_excluded_hosts"])
@pytest.mark.parametrize("bad", [5, [5]])
def test_host_setters_raise_type_error(setter, bad):
    with pytest.raises(TypeError):
        getattr(AprunSettings(EXE), setter)(bad)


def test_verbose_and_quiet_removal():
    rs = AprunSettings(EXE)
    rs.set_verbose_launch(True)
    rs.set_quiet_launch(True)
    rs.set_verbose_launch(False)
    rs.set_quiet_launch(False)
    rs.set_quiet_launch(False)
    assert rs.run_args == {}


def test_set_time_is_in_seconds():
    rs = AprunSettings(EXE)
    rs.set_time(minutes=1, seconds=12)
    assert rs.format_run_args() == ["--cpu-time-limit=72"]
    rs.set_time(seconds=0)
    assert rs.run_args["cpu-time-limit"] == "0"
    with pytest.raises(ValueError):
        rs.set_time("not an int")


def test_format_env_vars():
    rs = AprunSettings(EXE, env_vars={"OMP_NUM_THREADS": 20, "LOGGING": "verbose", "I": None})
    rs.update_env({"OMP_NUM_THREADS": 10})
    assert rs.format_env_vars() == ["-e", "OMP_NUM_THREADS=10", "-e", "LOGGING=verbose"]


def test_wdir_is_reserved():
    rs = AprunSettings(EXE)
    rs.set("wdir", "/x")
    assert rs.run_args == {}


def test_make_mpmd():
    rs, other = AprunSettings(EXE), AprunSettings(EXE)
    rs.make_mpmd(other)
    assert rs.mpmd == [other]


def test_mpmd_rejects_colocated_db():
    rs = AprunSettings(EXE)
    rs.colocated_db_settings = {"port": 6379, "cpus": 1}
    with pytest.raises(SSUnsupportedError):
        rs.make_mpmd(AprunSettings(EXE))


def test_mpmd_rejects_container():
    rs = AprunSettings("python3", container=Singularity("image.sif"))
    with pytest.raises(SSUnsupportedError):
        rs.make_mpmd(AprunSettings(EXE))
