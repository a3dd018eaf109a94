"""Workload-manager helpers (``smartsim.wlm``): find out which scheduler this machine has."""

from __future__ import annotations

import os
import shutil

from smartsim._core.utils.shell import run_command
from smartsim.log import get_logger

logger = get_logger(__name__)

__all__ = ["detect_launcher"]

_PBS_COMMANDS = ("qsub", "qstat", "qdel")
# palstat is the PALS job tool; PALS runs under PBS on HPE Cray EX systems.
_PALS_COMMANDS = ("palstat",)
_LSF_COMMANDS = ("bsub", "jsrun", "jslist", "bjobs", "bkill")
_SLURM_COMMANDS = ("sacct", "srun", "salloc", "sbatch", "scancel", "sstat", "sinfo")


def _run(argv: list[str], timeout: float = 10.0) -> tuple[int, str, str]:
    """Run ``argv`` without a shell (see :func:`run_command`)."""
    return run_command(argv, timeout)


def _all_on_path(commands: tuple[str, ...]) -> bool:
    return all(shutil.which(command) for command in commands)


def _is_pbs_qsub() -> bool:
    """True when ``qsub --version`` names PBS (Grid Engine also has a qsub)."""
    rc, out, err = _run(["qsub", "--version"])
    if rc in (124, 126, 127):
        logger.debug(f"qsub --version failed: {err.strip()}")
    return "pbs" in (out + err).lower()


def detect_launcher() -> str:
    """Name the workload manager of this machine: pbs, pals, lsf, slurm or local.

    Checked in SmartSim's order: PBS (``qsub``, ``qstat``, ``qdel`` on PATH and
    ``qsub --version`` mentioning PBS; ``pals`` when ``palstat`` is also there), LSF, Slurm,
    then ``PBS_JOBID`` in the environment (PBS compute nodes without the PBS tools), else
    ``local``. Dragon is never detected: it is only used when asked for.
    """
    if _all_on_path(_PBS_COMMANDS) and _is_pbs_qsub():
        return "pals" if _all_on_path(_PALS_COMMANDS) else "pbs"
    if _all_on_path(_LSF_COMMANDS):
        return "lsf"
    if _all_on_path(_SLURM_COMMANDS):
        return "slurm"
    if "PBS_JOBID" in os.environ:
        return "pbs"
    return "local"
