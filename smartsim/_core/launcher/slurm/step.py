"""srun command lines: for a step in an allocation and for a member of a batch script (pure)."""

from __future__ import annotations

import copy
import os
import re

from smartsim._core.launcher.step import Step
from smartsim.settings.base import RunSettings
from smartsim.settings.slurmSettings import SrunSettings, split_srun_env

JOBID = "--jobid"
UNSET = "--unset="
"""``env --unset=NAME``: a variable taken out of srun's environment (see :func:`srun_argv`)."""
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_@+=:,./-]+")


def srun_argv(
    settings: SrunSettings, alloc: str | None, cwd: str, wrapper: list[str] | None = None
) -> list[str]:
    """``[env K=a,b] srun [--jobid=A] <run args> [wrapper] [container] exe args [: part ...]``.

    The main part's environment is not rendered: srun passes its own environment on (its
    default ``--export=ALL``), and the launcher starts srun with the step's environment. An
    MPMD part names its variables in its own ``--export``; those whose value holds a comma
    (which srun would split there) are set by a leading ``env``, as SmartSim does. A main
    part's variable that an MPMD part sets too is exported by the main part and unset from
    srun's environment (``env --unset=NAME``), where it would win over the part's value.
    """
    argv = [settings.run_command or "srun"]
    if alloc:
        argv.append(f"{JOBID}={alloc}")
    argv += _without_jobid(settings.format_run_args())
    # srun's own environment beats a heterogeneous step component's --export (Slurm 22.05:
    # `A=0 srun ... : --export=ALL,A=1 ...` gives the second component A=0). A variable of
    # the main part that another part sets too is therefore taken out of srun's environment
    # and exported to the main part's component alone.
    shared = {
        name: str(value)
        for name, value in settings.env_vars.items()
        if value is not None
        and "," not in str(value)
        and any(name in part.env_vars for part in settings.mpmd)
    }
    if shared:
        argv.append("--export=ALL," + ",".join(f"{k}={v}" for k, v in shared.items()))
    argv += wrapper or []
    if settings.container is not None:
        argv += settings.container.container_cmds(cwd)
    argv += [*settings.exe, *settings.exe_args]
    assignments: list[str] = [f"{UNSET}{name}" for name in shared]
    for part in settings.mpmd:
        part_argv, part_assignments = _mpmd_part(part)
        argv += [":", *part_argv]
        assignments += part_assignments
    return ["env", *assignments, *argv] if assignments else argv


def _mpmd_part(settings: RunSettings) -> tuple[list[str], list[str]]:
    """One ``:``-separated component of an MPMD srun step, and the ``NAME=a,b`` assignments
    it needs in srun's environment."""
    argv = _without_jobid(settings.format_run_args())
    exported, assignments = split_srun_env(settings.env_vars)
    if exported:
        argv.append(f"--export=ALL,{exported}")
    return [*argv, *settings.exe, *settings.exe_args], assignments


def _env_prefix(argv: list[str]) -> tuple[list[str], list[str]]:
    """The ``NAME=value`` assignments of a leading ``env`` (from :func:`srun_argv`), and the
    command after them."""
    if not argv or os.path.basename(argv[0]) != "env":
        return [], argv
    end = 1
    while (
        end < len(argv)
        and "=" in argv[end]
        and (argv[end].startswith(UNSET) or not argv[end].startswith("-"))
    ):
        end += 1
    return argv[1:end], argv[end:]


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
    """Whether the command is an srun, maybe after ``env`` (so that Slurm runs it as a step)."""
    command = _env_prefix(argv)[1]
    return bool(command) and os.path.basename(command[0]) == "srun"


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
    assignments, srun = _env_prefix(argv)
    named = [srun[0], f"--job-name={job_name}", *srun[1:]]
    return ["env", *assignments, *named] if assignments else named


def batch_member_argv(step: Step) -> list[str]:
    """An srun line of a batch script: in the member's directory, with its files and env.

    ``--jobid`` is dropped: inside the batch job srun runs in the job's own allocation.
    """
    assignments, command = _env_prefix(step.argv)
    unset = [a for a in assignments if a.startswith(UNSET)]  # env's options come first
    removed = {a[len(UNSET) :] for a in unset}
    env = [
        *unset,
        *(f"{name}={value}" for name, value in step.env.items() if name not in removed),
        *(a for a in assignments if not a.startswith(UNSET)),
    ]
    srun = [
        command[0],
        f"--chdir={step.cwd}",
        f"--output={step.out_file}",
        f"--error={step.err_file}",
        f"--job-name={step.name}",
        *_without_jobid(command[1:]),
    ]
    return ["env", *env, *srun] if env else srun


def multi_prog(settings: SrunSettings, config_path: str) -> tuple[SrunSettings, str]:
    """One srun running each part of MPMD ``settings`` as its own task(s) through
    ``--multi-prog``, and the text of the configuration file to write at ``config_path``.

    Unlike a heterogeneous step (``srun ... : ...``), it lets several parts share a node.
    Each part gets as many ranks as its ``ntasks`` (default 1); the tasks are spread over the
    nodes of the parts' node lists (or the allocation), may outnumber its CPUs (as separate
    steps of one CPU each could not), and one that fails ends the others.
    Its arguments are single-quoted as srun's parser reads them.

    :raises ValueError: an argument holds a single quote, which the file cannot express
    """
    parts = [settings, *settings.mpmd]
    lines = []
    first = 0
    for part in parts:
        tasks = int(str(part.run_args.get("ntasks") or part.run_args.get("n") or 1))
        ranks = str(first) if tasks == 1 else f"{first}-{first + tasks - 1}"
        first += tasks
        env = [f"{k}={v}" for k, v in part.env_vars.items() if v is not None]
        words = [*(["env", *env] if env else []), *part.exe, *part.exe_args]
        lines.append(" ".join([ranks, *(_multi_prog_word(word) for word in words)]))
    nodes = [
        node
        for part in parts
        for node in str(part.run_args.get("nodelist") or "").split(",")
        if node
    ]
    flat = copy.deepcopy(settings)
    flat.mpmd = []
    flat.exe, flat.exe_args = [config_path], []
    for name in ("ntasks", "n", "ntasks-per-node", "nodelist", "w"):
        flat.run_args.pop(name, None)
    if nodes:
        flat.run_args["nodelist"] = ",".join(dict.fromkeys(nodes))
    flat.run_args.update(
        {"ntasks": first, "spread-job": None, "overcommit": None, "kill-on-bad-exit": 1}
    )
    flat.run_args["multi-prog"] = None
    return flat, "\n".join(lines) + "\n"


def _multi_prog_word(word: str) -> str:
    """``word`` as a ``--multi-prog`` file holds it (single quotes group; nothing escapes)."""
    if _PLAIN_WORD.fullmatch(word):
        return word
    if "'" in word:
        raise ValueError(f"srun --multi-prog cannot pass an argument holding a quote: {word!r}")
    return f"'{word}'"
