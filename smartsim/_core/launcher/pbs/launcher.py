"""The PBS Professional launcher: qsub batch jobs, ``qstat -f -F json`` status, qdel.

Steps inside an allocation (aprun, mpirun, mpiexec, PALS mpiexec) run as local processes
of the driver, which runs on the allocation's head node; the shared base does that.
"""

from __future__ import annotations

import typing as t

from smartsim._core.launcher.pbs import parser
from smartsim._core.launcher.reconcile import JobInfo
from smartsim._core.launcher.wlm import WLMLauncher
from smartsim.log import get_logger
from smartsim.settings.alpsSettings import AprunSettings
from smartsim.settings.base import BatchSettings, SettingsBase
from smartsim.settings.palsSettings import PalsMpiexecSettings
from smartsim.settings.pbsSettings import QsubBatchSettings

logger = get_logger(__name__)


class PBSLauncher(WLMLauncher):
    """See the module docstring."""

    name = "pbs"
    supported_settings: t.ClassVar[tuple[type[SettingsBase], ...]] = (
        *WLMLauncher.supported_settings,
        AprunSettings,
        PalsMpiexecSettings,
        QsubBatchSettings,
    )

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
