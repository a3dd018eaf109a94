"""srun command lines: for a step in an allocation and for a member of a batch script (pure)."""

from __future__ import annotations

import os

from smartsim._core.launcher.step import Step
from smartsim.settings.base import RunSettings
from smartsim.settings.slurmSettings import SrunSettings

JOBID = "--jobid"


def srun_argv(
    settings: SrunSettings, alloc: str | None, cwd: str, wrapper: list[str] | None = None
) -> list[str]:
    """``srun [--jobid=A] <run args> [wrapper] [container] exe args [: <mpmd part> ...]``.

    Environment variables are not rendered: srun passes its own environment on (its default
    ``--export=ALL``), and the launcher starts srun with the step's environment.
    """
    argv = [settings.run_command or "srun"]
    if alloc:
        argv.append(f"{JOBID}={alloc}")
    argv += _without_jobid(settings.format_run_args())
    argv += wrapper or []
    if settings.container is not None:
        argv += settings.container.container_cmds(cwd)
    argv += [*settings.exe, *settings.exe_args]
    for part in settings.mpmd:
        argv += [":", *_mpmd_part(part)]
    return argv


def _mpmd_part(settings: RunSettings) -> list[str]:
    """One ``:``-separated component of a heterogeneous (MPMD) srun step."""
    argv = _without_jobid(settings.format_run_args())
    exported = [f"{k}={v}" for k, v in settings.env_vars.items() if v is not None]
    if exported:
        argv.append("--export=ALL," + ",".join(exported))
    return [*argv, *settings.exe, *settings.exe_args]


def _without_jobid(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == JOBID:
            skip = True
        elif not arg.startswith(f"{JOBID}="):
            out.append(arg)
    return out


def is_srun(argv: list[str]) -> bool:
    """Whether the command is an srun (so that Slurm runs it as a step)."""
    return bool(argv) and os.path.basename(argv[0]) == "srun"


def srun_allocation(argv: list[str]) -> str | None:
    """The allocation an srun command line names with ``--jobid``."""
    for i, arg in enumerate(argv):
        if arg.startswith(f"{JOBID}="):
            return arg.split("=", 1)[1]
        if arg == JOBID and i + 1 < len(argv):
            return argv[i + 1]
    return None


def with_job_name(argv: list[str], job_name: str) -> list[str]:
    """The srun command with ``--job-name`` (by which the step's id is found)."""
    return [argv[0], f"--job-name={job_name}", *argv[1:]]


def batch_member_argv(step: Step) -> list[str]:
    """An srun line of a batch script: in the member's directory, with its files and env.

    ``--jobid`` is dropped: inside the batch job srun runs in the job's own allocation.
    """
    env = [f"{name}={value}" for name, value in step.env.items()]
    srun = [
        step.argv[0],
        f"--chdir={step.cwd}",
        f"--output={step.out_file}",
        f"--error={step.err_file}",
        f"--job-name={step.name}",
        *_without_jobid(step.argv[1:]),
    ]
    return ["env", *env, *srun] if env else srun
