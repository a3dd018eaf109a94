"""PalsMpiexecSettings: PALS mpiexec flags."""

from __future__ import annotations

import logging
import sys

import pytest

from smartsim.error import LauncherError
from smartsim.settings import PalsMpiexecSettings, palsSettings
from smartsim.settings.mpiSettings import _BaseMPISettings

EXE = sys.executable


@pytest.fixture
def pals_log(caplog, monkeypatch):
    """caplog that also sees the palsSettings logger (which does not propagate)."""
    monkeypatch.setattr(palsSettings.logger, "propagate", True)
    caplog.set_level(logging.WARNING)
    return caplog


def pals(**kwargs) -> PalsMpiexecSettings:
    return PalsMpiexecSettings(EXE, fail_if_missing_exec=False, **kwargs)


def test_is_an_mpi_settings_with_mpiexec():
    rs = pals()
    assert isinstance(rs, _BaseMPISettings)
    assert rs._run_command == "mpiexec"


def test_missing_mpiexec_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LauncherError, match="mpiexec"):
        PalsMpiexecSettings(EXE)


def test_mpiexec_on_path_is_found(tmp_path, monkeypatch, pals_log):
    fake = tmp_path / "mpiexec"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert PalsMpiexecSettings(EXE).run_command == str(fake)


@pytest.mark.parametrize(
    "setter, value, argv",
    [
        ("set_cpu_binding_type", "numa", ["--cpu-bind", "numa"]),
        ("set_tasks", 3, ["--np", "3"]),
        ("set_tasks_per_node", 48, ["--ppn", "48"]),
        ("set_broadcast", None, ["--transfer"]),
        ("set_hostlist", ["n1", "n2"], ["--hosts", "n1,n2"]),
        ("set_hostlist", "n1", ["--hosts", "n1"]),
        ("set_hostlist_from_file", "/h/file", ["--hostfile", "/h/file"]),
        ("set_verbose_launch", True, ["--verbose"]),
    ],
)
def test_setter_renders(setter, value, argv):
    rs = pals()
    getattr(rs, setter)(value)
    assert rs.format_run_args() == argv


def test_depth_through_run_args():
    rs = pals(run_args={"depth": 4, "cpu-bind": "depth"})
    rs.set_tasks_per_node(8)
    assert rs.format_run_args() == ["--depth", "4", "--cpu-bind", "depth", "--ppn", "8"]


@pytest.mark.parametrize("bad", [3, [3]])
def test_hostlist_type_error(bad):
    with pytest.raises(TypeError):
        pals().set_hostlist(bad)


def test_int_setters_raise_value_error():
    with pytest.raises(ValueError):
        pals().set_tasks("x")
    with pytest.raises(ValueError):
        pals().set_tasks_per_node("x")


@pytest.mark.parametrize(
    "setter, value",
    [
        ("set_task_map", "ppr:1:node"),
        ("set_cpus_per_task", 2),
        ("set_quiet_launch", True),
        ("set_walltime", "100"),
    ],
)
def test_unsupported_setters_only_warn(setter, value, pals_log):
    rs = pals()
    getattr(rs, setter)(value)
    assert rs.run_args == {}
    assert f"{setter} not supported under PALS" in pals_log.text


def test_set_time_is_unsupported(pals_log):
    rs = pals()
    rs.set_time(minutes=1)
    assert rs.run_args == {}
    assert "set_walltime not supported under PALS" in pals_log.text


def test_broadcast_path_is_ignored(pals_log):
    rs = pals()
    rs.set_broadcast("/some/path")
    assert rs.format_run_args() == ["--transfer"]
    assert "cannot set a destination path" in pals_log.text


def test_affinity_script_comes_after_run_args():
    rs = pals()
    rs.set_gpu_affinity_script("/path/to/set_affinity_gpu.sh", 1, 2)
    assert rs.format_run_args() == ["/path/to/set_affinity_gpu.sh", "1", "2"]
    rs.set_tasks_per_node(4)
    assert rs.format_run_args() == ["--ppn", "4", "/path/to/set_affinity_gpu.sh", "1", "2"]


def test_format_env_vars():
    rs = pals(env_vars={"FOO_VERSION": "3.14", "PATH": None, "LD_LIBRARY_PATH": None})
    assert rs.format_env_vars() == [
        "--env",
        "FOO_VERSION=3.14",
        "--envlist",
        "PATH,LD_LIBRARY_PATH",
    ]


def test_format_env_vars_update_and_inherit():
    rs = pals()
    rs.update_env({"SPAM": "EGGS"})
    assert rs.format_env_vars() == ["--env", "SPAM=EGGS"]
    rs.env_vars["HAM"] = None
    assert rs.format_env_vars() == ["--env", "SPAM=EGGS", "--envlist", "HAM"]


def test_reserved_working_directory_args():
    rs = pals(run_args={"wdir": "/x", "wd": "/y", "np": 2})
    assert rs.format_run_args() == ["--np", "2"]


def test_make_mpmd():
    rs, other = pals(), pals()
    rs.make_mpmd(other)
    assert rs.mpmd == [other]
