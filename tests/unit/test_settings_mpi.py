"""MpirunSettings, MpiexecSettings, OrterunSettings and their shared MPI base."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from smartsim.error import LauncherError, SSUnsupportedError
from smartsim.settings import MpiexecSettings, MpirunSettings, OrterunSettings, mpiSettings
from smartsim.settings.mpiSettings import _BaseMPISettings

EXE = sys.executable
NO_CHECK = {"fail_if_missing_exec": False}
ALL_MPI = [MpirunSettings, MpiexecSettings, OrterunSettings]


@pytest.fixture
def mpi_log(caplog, monkeypatch):
    """caplog that also sees the mpiSettings logger (which does not propagate)."""
    monkeypatch.setattr(mpiSettings.logger, "propagate", True)
    caplog.set_level(logging.WARNING)
    return caplog


@pytest.fixture
def empty_path(tmp_path, monkeypatch):
    """A PATH with nothing on it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


@pytest.fixture
def fake_mpi_path(tmp_path, monkeypatch):
    """A PATH holding do-nothing mpirun, mpiexec and orterun executables."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("mpirun", "mpiexec", "orterun"):
        exe = bindir / name
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    return bindir


def mpi(**kwargs) -> _BaseMPISettings:
    return _BaseMPISettings(EXE, **NO_CHECK, **kwargs)


# ---- finding the run command ----------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_MPI)
def test_missing_run_command_raises_launcher_error(cls, empty_path):
    name = {MpirunSettings: "mpirun", MpiexecSettings: "mpiexec", OrterunSettings: "orterun"}[cls]
    with pytest.raises(LauncherError, match=f"'{name}'"):
        cls(EXE)


@pytest.mark.parametrize("cls", ALL_MPI)
def test_missing_run_command_only_warns_when_asked(cls, empty_path, mpi_log):
    rs = cls(EXE, **NO_CHECK)
    assert "Cannot find run command" in mpi_log.text
    assert rs.run_command == rs._run_command


@pytest.mark.parametrize("cls", ALL_MPI)
def test_found_run_command_gives_no_warning(cls, fake_mpi_path, mpi_log):
    rs = cls(EXE)
    assert mpi_log.records == []
    assert rs.run_command == os.path.join(fake_mpi_path, rs._run_command)


def test_missing_exe_is_reported_before_run_command(empty_path):
    with pytest.raises(FileNotFoundError):
        MpirunSettings("no-such-exe-xyz")


def _put_mpiexec(bindir, help_text: str) -> None:
    """An ``mpiexec`` on PATH that prints ``help_text`` for ``--help`` (with sh builtins:
    the test's PATH holds nothing else)."""
    lines = "".join(f"echo '{line}'\n" for line in help_text.splitlines())
    exe = bindir / "mpiexec"
    exe.write_text(f"#!/bin/sh\n{lines}")
    exe.chmod(0o755)


def test_slurms_mpiexec_wrapper_is_refused(fake_mpi_path):
    _put_mpiexec(
        fake_mpi_path,
        "Usage: mpiexec.slurm args executable pgmargs\n\n"
        "  where args are comannd line arguments for mpiexec (see below),\n"
        "  executable is the name of the program to run under Slurm (srun)",
    )
    with pytest.raises(SSUnsupportedError) as raised:
        MpiexecSettings(EXE)
    assert str(raised.value) == (
        "Slurm's wrapper for mpiexec is unsupported. Use slurmSettings instead"
    )


def test_other_mpiexec_is_accepted(fake_mpi_path):
    _put_mpiexec(fake_mpi_path, "Usage: mpiexec [options] <program>  (Open MPI)")
    assert MpiexecSettings(EXE, run_args={"n": 2}).format_run_args() == ["--n", "2"]


def test_mpirun_is_not_asked_for_its_help(fake_mpi_path):
    _put_mpiexec(fake_mpi_path, "mpiexec.slurm")
    (fake_mpi_path / "mpirun").write_text("#!/bin/sh\necho mpiexec.slurm\n")
    MpirunSettings(EXE)
    OrterunSettings(EXE)


# ---- setters --------------------------------------------------------------------------


def test_base_settings_format():
    rs = mpi()
    rs.set_cpus_per_task(1)
    rs.set_tasks(2)
    rs.set_hostlist(["node005", "node006"])
    assert rs.format_run_args() == ["--cpus-per-proc", "1", "--n", "2", "--host", "node005,node006"]


def test_run_args_and_task_map():
    rs = mpi(run_args={"map-by": "ppr:1:node", "np": 1})
    assert rs.format_run_args() == ["--map-by", "ppr:1:node", "--np", "1"]
    rs.set_task_map("ppr:2:node")
    assert rs.format_run_args() == ["--map-by", "ppr:2:node", "--np", "1"]


@pytest.mark.parametrize(
    "setter, value, argv",
    [
        ("set_task_map", "ppr:1:node", ["--map-by", "ppr:1:node"]),
        ("set_cpus_per_task", 4, ["--cpus-per-proc", "4"]),
        ("set_cpu_binding_type", "core", ["--bind-to", "core"]),
        ("set_tasks_per_node", 6, ["--npernode", "6"]),
        ("set_tasks", 6, ["--n", "6"]),
        ("set_hostlist", ["host_A", "host_B"], ["--host", "host_A,host_B"]),
        ("set_hostlist", "host_A", ["--host", "host_A"]),
        ("set_hostlist_from_file", "~/hosts", ["--hostfile", "~/hosts"]),
        ("set_verbose_launch", True, ["--verbose"]),
        ("set_quiet_launch", True, ["--quiet"]),
        ("set_broadcast", None, ["--preload-binary"]),
        ("set_walltime", "100", ["--timeout", "100"]),
    ],
)
def test_setter_renders(setter, value, argv):
    rs = mpi()
    getattr(rs, setter)(value)
    assert rs.format_run_args() == argv


@pytest.mark.parametrize("setter", ["set_cpus_per_task", "set_tasks_per_node", "set_tasks"])
def test_int_setters_raise_value_error(setter):
    with pytest.raises(ValueError):
        getattr(mpi(), setter)("not an int")


@pytest.mark.parametrize("bad", [4, [444], ["a", 1]])
def test_hostlist_type_error(bad):
    with pytest.raises(TypeError):
        mpi().set_hostlist(bad)


def test_verbose_and_quiet_removal():
    rs = mpi()
    rs.set_verbose_launch(True)
    rs.set_quiet_launch(True)
    rs.set_verbose_launch(False)
    rs.set_quiet_launch(False)
    rs.set_verbose_launch(False)
    assert rs.format_run_args() == []


def test_broadcast_path_is_ignored_with_warning(mpi_log):
    rs = mpi()
    rs.set_broadcast("/tmp/some/path")
    assert rs.run_args == {"preload-binary": None}
    assert "cannot set a destination path" in mpi_log.text


def test_set_time_is_in_seconds():
    rs = mpi()
    rs.set_time(minutes=1, seconds=12)
    assert rs.format_run_args() == ["--timeout", "72"]
    rs.set_time(hours=1)
    assert rs.run_args["timeout"] == "3600"
    rs.set_time(seconds=0)
    assert rs.run_args["timeout"] == "0"
    with pytest.raises(ValueError):
        rs.set_time("not an int")


@pytest.mark.parametrize("reserved", ["wd", "wdir"])
def test_reserved_args(reserved):
    rs = mpi()
    rs.set(reserved, "/x")
    assert reserved not in rs.run_args
    # given in the constructor they are kept but never rendered
    assert mpi(run_args={reserved: "/x"}).format_run_args() == []


def test_format_env_vars():
    rs = mpi(env_vars={"OMP_NUM_THREADS": 20, "LOGGING": "verbose", "INHERIT": None})
    rs.update_env({"OMP_NUM_THREADS": 10})
    assert rs.format_env_vars() == [
        "-x",
        "OMP_NUM_THREADS=10",
        "-x",
        "LOGGING=verbose",
        "-x",
        "INHERIT",
    ]


# ---- MPMD -----------------------------------------------------------------------------


def test_make_mpmd():
    rs, other = mpi(), mpi()
    rs.make_mpmd(other)
    assert rs.mpmd == [other]


def test_mpmd_accepts_colocated_db():
    # SmartSim 0.8 refused this; the database wrapper goes around the whole MPI command.
    rs, other = mpi(), mpi()
    rs.colocated_db_settings = {"port": 6379, "cpus": 1}
    rs.make_mpmd(other)
    assert rs.mpmd == [other]


@pytest.mark.parametrize(
    "cls, command",
    [(MpirunSettings, "mpirun"), (MpiexecSettings, "mpiexec"), (OrterunSettings, "orterun")],
)
def test_subclasses_use_their_run_command(cls, command):
    rs = cls(EXE, "-c pass", run_args={"np": 2}, env_vars={"A": "1"}, **NO_CHECK)
    assert rs._run_command == command
    assert rs.exe_args == ["-c", "pass"]
    assert rs.format_run_args() == ["--np", "2"]
    assert rs.format_env_vars() == ["-x", "A=1"]
