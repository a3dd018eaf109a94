"""srun command lines for steps in an allocation and batch-script members (no processes)."""

from __future__ import annotations

import pytest

from smartsim._core.launcher.slurm import step as slurm_step
from smartsim._core.launcher.slurm.launcher import allocation_of
from smartsim._core.launcher.step import Step
from smartsim.settings import SrunSettings


@pytest.fixture
def rs() -> SrunSettings:
    settings = SrunSettings("true", exe_args=["a b"], run_args={"nodes": 1, "jobid": "9"})
    settings.run_command  # noqa: B018 (resolved lazily)
    return settings


def test_srun_argv_puts_the_allocation_first_and_drops_the_run_arg(rs):
    argv = slurm_step.srun_argv(rs, "12", "/work")
    assert argv[1:] == ["--jobid=12", "--nodes=1", rs.exe[0], "a b"]
    assert slurm_step.srun_allocation(argv) == "12"


def test_srun_argv_wrapper_runs_per_task_before_the_executable(rs):
    argv = slurm_step.srun_argv(rs, None, "/work", wrapper=["python", "-m", "colo", "--"])
    assert argv[1:] == ["--nodes=1", "python", "-m", "colo", "--", rs.exe[0], "a b"]
    assert slurm_step.srun_allocation(argv) is None


def test_srun_argv_mpmd_parts_with_their_exports():
    first = SrunSettings("true", run_args={"ntasks": 1})
    second = SrunSettings("false", run_args={"ntasks": 2}, env_vars={"A": "1"})
    first.make_mpmd(second)
    argv = slurm_step.srun_argv(first, "5", "/w")
    assert argv[1:] == [
        "--jobid=5", "--ntasks=1", first.exe[0], ":", "--ntasks=2", "--export=ALL,A=1",
        second.exe[0],
    ]  # fmt: skip


def test_allocation_order_alloc_then_run_arg_then_environment():
    assert allocation_of(SrunSettings("true", alloc="1", run_args={"jobid": 2}), {}) == "1"
    assert allocation_of(SrunSettings("true", run_args={"jobid": 2}), {}) == "2"
    assert allocation_of(SrunSettings("true"), {"SLURM_JOB_ID": "3"}) == "3"
    assert allocation_of(SrunSettings("true"), {}) is None


def test_job_name_goes_right_after_srun():
    assert slurm_step.with_job_name(["/bin/srun", "--jobid=1", "x"], "m-abc") == [
        "/bin/srun", "--job-name=m-abc", "--jobid=1", "x"
    ]  # fmt: skip


def test_batch_member_line_sets_dir_files_name_and_env_without_jobid():
    step = Step("ens_0", "Model", ["/bin/srun", "--jobid=4", "--nodes=1", "x"], "/e/ens_0",
                {"SSDB": "a:1,b:2"})  # fmt: skip
    assert slurm_step.batch_member_argv(step) == [
        "env", "SSDB=a:1,b:2", "/bin/srun", "--chdir=/e/ens_0", "--output=/e/ens_0/ens_0.out",
        "--error=/e/ens_0/ens_0.err", "--job-name=ens_0", "--nodes=1", "x",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "argv, expected",
    [(["srun"], True), (["/usr/bin/srun", "x"], True), (["mpirun"], False), ([], False)],
)
def test_is_srun(argv, expected):
    assert slurm_step.is_srun(argv) is expected
