"""The LSF launcher: bsub batch jobs (script on stdin), bjobs status, bkill.

Steps inside an allocation (jsrun, mpirun) run as local processes of the driver on the
allocation's launch node; the shared base does that.
"""

from __future__ import annotations

import typing as t

from smartsim._core.launcher.lsf import parser
from smartsim._core.launcher.reconcile import JobInfo
from smartsim._core.launcher.wlm import WLMLauncher
from smartsim.log import get_logger
from smartsim.settings.base import BatchSettings, SettingsBase
from smartsim.settings.lsfSettings import BsubBatchSettings, JsrunSettings

logger = get_logger(__name__)


class LSFLauncher(WLMLauncher):
    """See the module docstring."""

    name = "lsf"
    supported_settings: t.ClassVar[tuple[type[SettingsBase], ...]] = (
        *WLMLauncher.supported_settings,
        JsrunSettings,
        BsubBatchSettings,
    )

    def query_status(self, job_ids: list[str]) -> dict[str, JobInfo] | None:
        """See base. Unknown ids only add ``Job <n> is not found`` lines."""
        rc, out, err = self.run(["bjobs", "-noheader", "-o", parser.BJOBS_FIELDS, *job_ids])
        if rc != 0 and not out.strip():
            if "is not found" in err:
                return {}
            logger.warning(f"bjobs failed (exit {rc}): {err.strip()}")
            return None
        return parser.parse_bjobs(out)

    def cancel_argv(self, ids: list[str]) -> list[str]:
        """See base."""
        return ["bkill", *ids]

    def submit_batch_argv(
        self, settings: BatchSettings, script_path: str, script: str
    ) -> tuple[list[str], str | None]:
        """See base. bsub reads ``#BSUB`` directives only from a script on its stdin."""
        return [settings.batch_cmd], script

    def parse_submit(self, output: str) -> str | None:
        """See base."""
        return parser.parse_bsub(output)
