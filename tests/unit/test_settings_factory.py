"""create_run_settings / create_batch_settings class choice, and detect_launcher.

Detection only looks at PATH (and ``qsub --version``), so the schedulers' commands are faked
with tiny scripts on a temporary PATH.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

import smartsim.wlm as wlm
from smartsim.error import SmartSimError
from smartsim.settings import (
    AprunSettings,
    BsubBatchSettings,
    DragonRunSettings,
    JsrunSettings,
    MpiexecSettings,
    MpirunSettings,
    OrterunSettings,
    PalsMpiexecSettings,
    QsubBatchSettings,
    RunSettings,
    SbatchSettings,
    SgeQsubBatchSettings,
    Singularity,
    SrunSettings,
)
from smartsim.settings import settings as factory
from smartsim.settings.settings import create_batch_settings, create_run_settings
from smartsim.wlm import detect_launcher

EXE = sys.executable
SLURM_TOOLS = ["sacct", "srun", "salloc", "sbatch", "scancel", "sstat", "sinfo"]
LSF_TOOLS = ["bsub", "jsrun", "jslist", "bjobs", "bkill"]
PBS_TOOLS = ["qsub", "qstat", "qdel"]
PBS_VERSION = "pbs_version = 2022.1.1"


@pytest.fixture
def fake_path(tmp_path, monkeypatch):
    """An empty PATH directory; ``fake_path.add(name, output)`` puts a fake command on it."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.delenv("PBS_JOBID", raising=False)

    class FakePath:
        path = bindir

        @staticmethod
        def add(*names: str, output: str = "") -> None:
            for name in names:
                script = bindir / name
                script.write_text(f"#!/bin/sh\necho '{output}'\n")
                script.chmod(0o755)

    return FakePath()


@pytest.fixture
def factory_log(caplog, monkeypatch):
    """caplog that also sees the factory's logger (which does not propagate)."""
    monkeypatch.setattr(factory.logger, "propagate", True)
    caplog.set_level(logging.WARNING)
    return caplog


# ---- create_run_settings: explicit run commands ---------------------------------------


@pytest.mark.parametrize(
    "launcher, run_command, cls",
    [
        ("slurm", "srun", SrunSettings),
        ("slurm", "mpirun", MpirunSettings),
        ("slurm", "mpiexec", MpiexecSettings),
        ("pbs", "aprun", AprunSettings),
        ("pbs", "mpiexec", MpiexecSettings),
        ("pals", "mpiexec", PalsMpiexecSettings),
        ("lsf", "jsrun", JsrunSettings),
        ("lsf", "orterun", OrterunSettings),
        ("local", "mpirun", MpirunSettings),
        ("local", "SRUN", SrunSettings),
        ("sge", "mpirun", MpirunSettings),
    ],
)
def test_run_command_picks_class(launcher, run_command, cls):
    rs = create_run_settings(
        launcher, EXE, ["-c", "pass"], run_command, {"a": 1}, {"E": "1"}, fail_if_missing_exec=False
    )
    assert type(rs) is cls
    assert rs.exe_args == ["-c", "pass"]
    assert rs.run_args == {"a": 1}
    assert rs.env_vars == {"E": "1"}


@pytest.mark.parametrize("run_command", ["", None])
def test_no_run_command_gives_plain_run_settings(run_command):
    rs = create_run_settings("slurm", EXE, run_command=run_command)
    assert type(rs) is RunSettings
    assert rs.run_command is None


def test_unknown_run_command_gives_plain_run_settings():
    rs = create_run_settings("slurm", EXE, run_command="flux-run", run_args={"-n": 2})
    assert type(rs) is RunSettings
    assert rs.run_command == "flux-run"
    assert rs.format_run_args() == ["-n", "2"]


def test_container_is_passed_on():
    container = Singularity("image.sif")
    rs = create_run_settings("local", "python3", container=container)
    assert rs.container is container
    assert rs.exe == ["python3"]
    srun = create_run_settings("slurm", "python3", run_command="srun", container=container)
    assert srun.container is container


def test_class_specific_kwargs_are_passed_on(factory_log):
    rs = create_run_settings("slurm", EXE, run_command="srun", alloc="1234")
    assert rs.alloc == "1234"
    assert factory_log.records == []


# ---- create_run_settings: auto-detected run commands ----------------------------------


def test_local_auto_has_no_run_command(fake_path):
    rs = create_run_settings("local", EXE)
    assert type(rs) is RunSettings
    assert rs.run_command is None


@pytest.mark.parametrize(
    "launcher, on_path, cls",
    [
        ("slurm", ["srun", "mpirun", "mpiexec"], SrunSettings),
        ("slurm", ["mpirun", "mpiexec"], MpirunSettings),
        ("slurm", ["mpiexec"], MpiexecSettings),
        ("pbs", ["aprun", "mpirun"], AprunSettings),
        ("pbs", ["mpirun"], MpirunSettings),
        ("pals", ["mpiexec", "mpirun"], PalsMpiexecSettings),
        ("lsf", ["jsrun", "mpirun"], JsrunSettings),
        ("lsf", ["mpiexec"], MpiexecSettings),
        ("sge", ["mpirun"], MpirunSettings),
        ("sge", ["mpiexec"], MpiexecSettings),
    ],
)
def test_auto_run_command_by_launcher(fake_path, launcher, on_path, cls):
    fake_path.add(*on_path)
    assert type(create_run_settings(launcher, EXE)) is cls


@pytest.mark.parametrize("launcher", ["slurm", "pbs", "pals", "lsf", "sge"])
def test_auto_run_command_not_found(fake_path, launcher):
    with pytest.raises(SmartSimError, match=f"launcher {launcher}"):
        create_run_settings(launcher, EXE)


def test_auto_run_command_unknown_launcher():
    with pytest.raises(SmartSimError, match="'cobalt'"):
        create_run_settings("cobalt", EXE)


def test_dragon_gives_dragon_settings(fake_path):
    rs = create_run_settings("dragon", EXE, ["-c", "pass"], env_vars={"A": "1"})
    assert type(rs) is DragonRunSettings
    assert rs.run_command is None
    assert rs.exe_args == ["-c", "pass"]


def test_auto_launcher_is_detected(fake_path):
    assert type(create_run_settings("auto", EXE)) is RunSettings
    fake_path.add(*SLURM_TOOLS)
    fake_path.add("mpirun")
    assert type(create_run_settings("auto", EXE)) is SrunSettings


# ---- unknown keyword arguments --------------------------------------------------------


def test_misspelt_kwarg_is_ignored_with_warning(factory_log):
    rs = create_run_settings("local", "echo", exec_args=["hello"])
    assert rs.exe_args == []
    text = factory_log.text
    assert "'exec_args'" in text
    assert "did you mean 'exe_args'?" in text


def test_kwarg_of_another_class_is_ignored_with_warning(factory_log):
    rs = create_run_settings("local", EXE, alloc="123", fail_if_missing_exec=False)
    assert type(rs) is RunSettings
    assert "'alloc'" in factory_log.text
    assert "'fail_if_missing_exec'" in factory_log.text


def test_unknown_kwarg_for_mpi_class(factory_log):
    rs = create_run_settings(
        "slurm", EXE, run_command="mpirun", fail_if_missing_exec=False, colour="blue"
    )
    assert type(rs) is MpirunSettings
    assert "'colour'" in factory_log.text
    assert "fail_if_missing_exec" not in factory_log.text.split("accepted")[0]


# ---- create_batch_settings ------------------------------------------------------------


@pytest.mark.parametrize(
    "launcher, cls",
    [
        ("slurm", SbatchSettings),
        ("pbs", QsubBatchSettings),
        ("pals", QsubBatchSettings),
        ("lsf", BsubBatchSettings),
        ("sge", SgeQsubBatchSettings),
    ],
)
def test_batch_class_by_launcher(launcher, cls):
    assert type(create_batch_settings(launcher)) is cls


def test_create_pbs_batch_passes_kwargs():
    bs = create_batch_settings(
        "pbs", nodes=1, time="10:00:00", queue="default", account="myproject", ncpus=10
    )
    assert bs.format_batch_args() == [
        "-l nodes=1:ncpus=10",
        "-l walltime=10:00:00",
        "-q default",
        "-A myproject",
    ]


def test_create_sbatch_ignores_pbs_kwargs():
    bs = create_batch_settings(
        "slurm",
        nodes=1,
        time="10:00:00",
        queue="default",
        account="myproject",
        batch_args={"exclusive": None, "oversubscribe": None},
        ncpus=10,
    )
    assert sorted(bs.format_batch_args()) == sorted(
        [
            "--exclusive",
            "--oversubscribe",
            "--nodes=1",
            "--time=10:00:00",
            "--partition=default",
            "--account=myproject",
        ]
    )


def test_create_bsub():
    bs = create_batch_settings(
        "lsf", nodes=1, time="10:00:00", account="myproject", queue="default",
        batch_args={"core_isolation": None},
    )  # fmt: skip
    assert bs.project == "myproject"
    assert bs.format_batch_args() == ["-core_isolation", "-nnodes 1", "-q default"]


def test_create_sge_with_default_nodes():
    bs = create_batch_settings("sge", time="01:00:00", ncpus=4, pe_type="mpi")
    assert bs.format_batch_args() == ["-pe mpi 4", "-l h_rt=01:00:00"]


def test_local_batch_is_an_error():
    with pytest.raises(SmartSimError, match="Local launcher does not support batch workloads"):
        create_batch_settings("local")


def test_unknown_batch_launcher_is_an_error():
    with pytest.raises(SmartSimError, match="unsupported launcher 'cobalt'"):
        create_batch_settings("cobalt")


def test_dragon_batch_uses_detected_scheduler(fake_path):
    with pytest.raises(SmartSimError, match="Local launcher"):
        create_batch_settings("dragon")
    fake_path.add(*SLURM_TOOLS)
    assert type(create_batch_settings("dragon")) is SbatchSettings
    assert type(create_batch_settings("auto")) is SbatchSettings


# ---- detect_launcher ------------------------------------------------------------------


def test_detect_local(fake_path):
    assert detect_launcher() == "local"


def test_detect_slurm(fake_path):
    fake_path.add(*SLURM_TOOLS)
    assert detect_launcher() == "slurm"


def test_detect_slurm_needs_every_tool(fake_path):
    fake_path.add(*SLURM_TOOLS[:-1])
    assert detect_launcher() == "local"


def test_detect_lsf(fake_path):
    fake_path.add(*LSF_TOOLS)
    assert detect_launcher() == "lsf"


def test_detect_pbs(fake_path):
    fake_path.add(*PBS_TOOLS, output=PBS_VERSION)
    assert detect_launcher() == "pbs"


def test_detect_pals(fake_path):
    fake_path.add(*PBS_TOOLS, output=PBS_VERSION)
    fake_path.add("palstat")
    assert detect_launcher() == "pals"


def test_palstat_without_pbs_is_not_pals(fake_path):
    fake_path.add("palstat")
    assert detect_launcher() == "local"


def test_grid_engine_qsub_is_not_pbs(fake_path):
    fake_path.add(*PBS_TOOLS, output="SGE 8.1.9")
    assert detect_launcher() == "local"
    fake_path.add(*SLURM_TOOLS)
    assert detect_launcher() == "slurm"


def test_pbs_wins_over_lsf_and_slurm(fake_path):
    fake_path.add(*SLURM_TOOLS, *LSF_TOOLS)
    assert detect_launcher() == "lsf"
    fake_path.add(*PBS_TOOLS, output=PBS_VERSION)
    assert detect_launcher() == "pbs"


def test_pbs_jobid_without_tools_is_pbs(fake_path, monkeypatch):
    monkeypatch.setenv("PBS_JOBID", "123.pbs")
    assert detect_launcher() == "pbs"


def test_run_helper_reports_missing_program(fake_path):
    rc, out, err = wlm._run(["no-such-program-xyz"])
    assert rc == 127
    assert out == ""
    assert "no-such-program-xyz" in err


def test_run_helper_times_out(tmp_path: Path):
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nexec sleep 5\n")
    slow.chmod(0o755)
    rc, _, err = wlm._run([str(slow)], timeout=0.2)
    assert rc == 124
    assert "did not answer" in err


def test_run_helper_returns_output(fake_path):
    fake_path.add("hello", output="hi there")
    assert wlm._run(["hello"]) == (0, "hi there\n", "")
