"""The PBS Professional launcher: qsub batch jobs, ``qstat -f -F json`` status, qdel.

Steps inside an allocation (aprun, mpirun, mpiexec, PALS mpiexec) run as local processes
of the driver, which runs on the allocation's head node; the shared base does that.
"""

from __future__ import annotations

from smartsim._core.launcher.pbs import parser
from smartsim._core.launcher.reconcile import JobInfo
from smartsim._core.launcher.wlm import WLMLauncher
from smartsim.log import get_logger
from smartsim.settings.base import BatchSettings

logger = get_logger(__name__)


class PBSLauncher(WLMLauncher):
    """See the module docstring."""

    name = "pbs"

    def query_status(self, job_ids: list[str]) -> dict[str, JobInfo] | None:
        """See base. ``-x`` includes finished jobs; an unknown id only adds to stderr."""
        rc, out, err = self.run(["qstat", "-f", "-F", "json", "-x", *job_ids])
        if rc != 0 and "{" not in out:
            logger.warning(f"qstat failed (exit {rc}): {err.strip()}")
            return None
        return parser.parse_qstat_json(out)

    def cancel_argv(self, ids: list[str]) -> list[str]:
        """See base."""
        return ["qdel", *ids]

    def submit_batch_argv(
        self, settings: BatchSettings, script_path: str, script: str
    ) -> tuple[list[str], str | None]:
        """See base."""
        return [settings.batch_cmd, script_path], None

    def parse_submit(self, output: str) -> str | None:
        """See base."""
        return parser.parse_qsub(output)


class PALSLauncher(PBSLauncher):
    """PBS with HPE Cray PALS: the same batch system; steps are PALS ``mpiexec``."""

    name = "pals"
