"""srun MPMD steps whose parts set one variable to different values: the main part's value
leaves srun's environment (where Slurm 22.05 lets it win over every component's --export,
seen on the 3-node Slurm of scripts/slurm/up-multinode.sh) and goes in its own --export."""

from __future__ import annotations

from smartsim._core.launcher.slurm import step as slurm_step
from smartsim._core.launcher.step import Step
from smartsim.settings import SrunSettings


def _mpmd() -> SrunSettings:
    first = SrunSettings("true", run_args={"nodes": 1}, env_vars={"PART": "p0", "ONLY": "x"})
    second = SrunSettings("false", run_args={"nodes": 1}, env_vars={"PART": "p1", "K": "1,2"})
    first.make_mpmd(second)
    return first


def test_a_variable_both_parts_set_is_unset_for_srun_and_exported_by_the_main_part():
    first = _mpmd()
    argv = slurm_step.srun_argv(first, "5", "/w")
    assert argv == [
        "env", "--unset=PART", "K=1,2", first.run_command, "--jobid=5", "--nodes=1",
        "--export=ALL,PART=p0", first.exe[0], ":", "--nodes=1", "--export=ALL,PART=p1,K",
        first.mpmd[0].exe[0],
    ]  # fmt: skip
    assert slurm_step.is_srun(argv) and slurm_step.srun_allocation(argv) == "5"
    assert slurm_step.with_job_name(argv, "m-1")[:5] == [
        "env", "--unset=PART", "K=1,2", first.run_command, "--job-name=m-1"
    ]  # fmt: skip


def test_without_parts_nothing_changes():
    rs = SrunSettings("true", env_vars={"PART": "p0"})
    assert slurm_step.srun_argv(rs, "5", "/w") == [rs.run_command, "--jobid=5", rs.exe[0]]


def test_batch_member_line_unsets_first_and_leaves_the_value_out_of_its_env():
    argv = slurm_step.srun_argv(_mpmd(), None, "/e/m")
    step = Step("m", "Model", argv, "/e/m", {"PART": "p0", "ONLY": "x", "SSDB": "a:1"})
    line = slurm_step.batch_member_argv(step)
    assert line[:5] == ["env", "--unset=PART", "ONLY=x", "SSDB=a:1", "K=1,2"]
    assert "PART=p0" not in line and "--export=ALL,PART=p0" in line
