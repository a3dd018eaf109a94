"""Build the argv of a job run directly on this machine."""

from __future__ import annotations

from smartsim.settings.base import RunSettings


def local_argv(run_settings: RunSettings, cwd: str) -> list[str]:
    """``[run command, run args] [container] exe exe_args [: part ...]`` for a local job.

    The local launcher runs without a run command; one set explicitly (e.g. ``mpirun`` on a
    workstation) is honoured with its rendered arguments.
    """
    argv: list[str] = []
    run_command = run_settings.run_command
    if run_command:
        argv.append(run_command)
        argv.extend(run_settings.format_run_args())
    if run_settings.container is not None:
        argv.extend(run_settings.container.container_cmds(cwd))
    argv.extend(run_settings.exe)
    argv.extend(run_settings.exe_args)
    for part in run_settings.mpmd:
        argv.append(":")
        argv.extend(part.format_run_args())
        argv.extend(part.format_env_vars())  # each MPMD program may have its own variables
        argv.extend(part.exe)
        argv.extend(part.exe_args)
    return argv
