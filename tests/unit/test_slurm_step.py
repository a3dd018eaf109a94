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


def test_srun_argv_mpmd_part_value_with_comma_is_set_before_srun_and_named_in_export():
    first = SrunSettings("true", run_args={"ntasks": 1}, env_vars={"MAIN": "x,y"})
    second = SrunSettings("false", env_vars={"K": "1,2", "A": "1", "INHERITED": None})
    first.make_mpmd(second)
    argv = slurm_step.srun_argv(first, "5", "/w")
    assert argv == [
        "env", "K=1,2", first.run_command, "--jobid=5", "--ntasks=1", first.exe[0], ":",
        "--export=ALL,A=1,K,INHERITED", second.exe[0],
    ]  # fmt: skip
    assert slurm_step.is_srun(argv) and slurm_step.srun_allocation(argv) == "5"
    assert slurm_step.with_job_name(argv, "m-1")[:4] == [
        "env", "K=1,2", first.run_command, "--job-name=m-1"
    ]  # fmt: skip


def test_batch_member_line_keeps_the_mpmd_assignments_after_the_step_env():
    step = Step("m", "Model", ["env", "K=1,2", "/bin/srun", "--jobid=4", "x", ":", "y"], "/e/m",
                {"SSDB": "a:1"})  # fmt: skip
    assert slurm_step.batch_member_argv(step) == [
        "env", "SSDB=a:1", "K=1,2", "/bin/srun", "--chdir=/e/m", "--output=/e/m/m.out",
        "--error=/e/m/m.err", "--job-name=m", "x", ":", "y",
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
    [
        (["srun"], True),
        (["/usr/bin/srun", "x"], True),
        (["env", "K=1,2", "/usr/bin/srun", "x"], True),
        (["mpirun"], False),
        (["env", "K=1"], False),
        ([], False),
    ],
)
def test_is_srun(argv, expected):
    assert slurm_step.is_srun(argv) is expected
