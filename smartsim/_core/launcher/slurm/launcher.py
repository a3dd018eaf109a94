"""The Slurm launcher: srun steps in an allocation, sbatch batch jobs, sacct status, scancel."""

from __future__ import annotations

import os
import secrets
import time
import typing as t
from dataclasses import replace

from smartsim._core.launcher.base import OnExit, OnStatus
from smartsim._core.launcher.reconcile import JobInfo
from smartsim._core.launcher.slurm import parser
from smartsim._core.launcher.slurm.step import (
    batch_member_argv,
    is_srun,
    srun_allocation,
    srun_argv,
    with_job_name,
)
from smartsim._core.launcher.step import Step
from smartsim._core.launcher.wlm import WLMLauncher
from smartsim.error import AllocationError
from smartsim.log import get_logger
from smartsim.settings.base import BatchSettings, RunSettings, SettingsBase
from smartsim.settings.slurmSettings import SbatchSettings, SrunSettings
from smartsim.status import TERMINAL_STATUSES
from smartsim.status import SmartSimStatus as S

logger = get_logger(__name__)


def allocation_of(settings: SrunSettings, environ: t.Mapping[str, str]) -> str | None:
    """The allocation srun runs in: ``alloc``, then ``run_args["jobid"]``, then SLURM_JOB_ID."""
    given = settings.alloc or settings.run_args.get("jobid")
    return str(given) if given else environ.get("SLURM_JOB_ID")


class SlurmLauncher(WLMLauncher):
    """See the module docstring; the shared machinery is in WLMLauncher."""

    name = "slurm"
    never_starts: t.ClassVar[t.Mapping[str, str]] = {
        # https://slurm.schedmd.com/job_reason_codes.html
        "PartitionNodeLimit": "it asks for more nodes than its partition has or allows",
        "PartitionTimeLimit": "it asks for more time than its partition allows",
        "BadConstraints": "no node has the features or resources it asks for",
        "DependencyNeverSatisfied": "a job it depends on ended the wrong way",
        "InvalidAccount": "its account is not valid",
        "InvalidQOS": "its QOS is not valid",
        "AssocMaxNodesPerJobLimit": "it asks for more nodes than its association allows",
        "AssocMaxWallDurationPerJobLimit": "it asks for more time than its association allows",
        "QOSMaxNodePerJobLimit": "it asks for more nodes than its QOS allows",
        "QOSMaxWallDurationPerJobLimit": "it asks for more time than its QOS allows",
    }
    supported_settings: t.ClassVar[tuple[type[SettingsBase], ...]] = (
        *WLMLauncher.supported_settings,
        SrunSettings,
        SbatchSettings,
    )

    def __init__(self, on_exit: OnExit, on_status: OnStatus | None = None) -> None:
        super().__init__(on_exit, on_status)
        self._sacct_works = True
        self._started: set[str] = set()
        """Jobs squeue has seen leave the queue: sacct's lagging word is not checked again."""

    def argv(
        self, run_settings: RunSettings, cwd: str, wrapper: list[str] | None = None
    ) -> list[str]:
        """See base. srun settings run as a Slurm step; others as local processes."""
        if not isinstance(run_settings, SrunSettings):
            return super().argv(run_settings, cwd, wrapper)
        run_settings.check_env_vars(os.environ)
        return srun_argv(run_settings, allocation_of(run_settings, os.environ), cwd, wrapper)

    def scheduler_step(self, step: Step) -> tuple[str, str, list[str]] | None:
        """See base. An srun gets a unique ``--job-name`` by which its step id is found."""
        if not is_srun(step.argv):
            return None
        alloc = srun_allocation(step.argv)
        if alloc is None:
            raise AllocationError(
                f"No allocation for srun step '{step.name}': run the driver inside one "
                "(SLURM_JOB_ID), give run_args={'jobid': ...} or alloc=..., "
                "or launch with batch settings"
            )
        job_name = f"{step.name}-{secrets.token_hex(3)}"
        return alloc, job_name, with_job_name(step.argv, job_name)

    def query_status(self, job_ids: list[str]) -> dict[str, JobInfo] | None:
        """See base. ``sacct`` for jobs and their steps; ``squeue`` when sacct cannot answer
        (accounting disabled): it knows running steps and recently ended jobs only."""
        ids = ",".join(job_ids)
        if self._sacct_works:
            rc, out, err = self.run(
                ["sacct", "--noheader", "--parsable2", f"--format={parser.SACCT_FIELDS}",
                 f"--jobs={ids}"]
            )  # fmt: skip
            if rc == 0:
                return self._with_queue_view(job_ids, parser.parse_sacct(out))
            logger.warning(f"sacct failed (exit {rc}: {err.strip()}); using squeue from now on")
            self._sacct_works = False
        rc, out, err = self.run(
            ["squeue", "--noheader", "--states=all", f"--jobs={ids}",
             f"--format={parser.SQUEUE_JOB_FORMAT}"]
        )  # fmt: skip
        if rc != 0 and "Invalid job id" not in err:
            logger.warning(f"squeue failed (exit {rc}): {err.strip()}")
            return None
        infos = parser.parse_squeue_jobs(out)
        rc, out, _ = self.run(
            ["squeue", "--noheader", "--steps", f"--jobs={ids}",
             f"--format={parser.SQUEUE_STEP_FORMAT}"]
        )  # fmt: skip
        infos.update(parser.parse_squeue_steps(out) if rc == 0 else {})
        return infos

    def _with_queue_view(self, job_ids: list[str], infos: dict[str, JobInfo]) -> dict[str, JobInfo]:
        """``infos`` completed from squeue, one call, only while it has something to add:
        sacct reads the accounting database, which lags behind slurmctld (for seconds
        under load, a new job is not listed at all) and gives a pending job's reason late."""
        with_steps = {key.split(".", 1)[0] for key in infos if "." in key}
        wanted = [
            job
            for job in job_ids
            if "." not in job  # steps have no pending reason: they wait inside their job
            and job not in with_steps  # a job whose steps run has started
            and job not in self._started  # sacct can call an allocation PENDING for long
            and (job not in infos or infos[job].status == S.STATUS_QUEUED)
        ]
        if not wanted:
            return infos
        rc, out, _ = self.run(
            ["squeue", "--noheader", "--states=all", f"--jobs={','.join(wanted)}",
             f"--format={parser.SQUEUE_JOB_FORMAT}"]
        )  # fmt: skip
        live = parser.parse_squeue_jobs(out) if rc == 0 else {}
        merged = dict(infos)
        for job in wanted:
            now = live.get(job)
            if now is None:
                continue
            if now.status != S.STATUS_QUEUED:
                self._started.add(job)
            if job in infos:
                merged[job] = replace(infos[job], reason=now.reason)
            elif now.status not in TERMINAL_STATUSES:  # an end waits for sacct's exit code
                merged[job] = now
        return merged

    def cancel_argv(self, ids: list[str]) -> list[str]:
        """See base."""
        return ["scancel", *ids]

    def wait_cancelled(self, ids: list[str], deadline: float) -> None:
        """See base. A cancelled job stays COMPLETING until Slurm has killed its processes
        (sacct already says CANCELLED): wait for squeue to show it ended."""
        jobs = sorted({job_id.split(".", 1)[0] for job_id in ids})
        argv = ["squeue", "--noheader", "--states=all", f"--jobs={','.join(jobs)}",
                f"--format={parser.SQUEUE_JOB_FORMAT}"]  # fmt: skip
        while time.monotonic() < deadline:
            rc, out, _ = self.run(argv)
            states = [line.split("|")[2] for line in out.splitlines() if line.count("|") >= 3]
            if rc != 0 or "COMPLETING" not in states:
                return
            time.sleep(0.05)

    def submit_batch_argv(
        self, settings: BatchSettings, script_path: str, script: str
    ) -> tuple[list[str], str | None]:
        """See base."""
        return [settings.batch_cmd, "--parsable", script_path], None

    def parse_submit(self, output: str) -> str | None:
        """See base."""
        return parser.parse_sbatch(output)

    def batch_member_argv(self, step: Step) -> list[str]:
        """See base. srun members get their directory, files and name as srun flags."""
        return batch_member_argv(step) if is_srun(step.argv) else super().batch_member_argv(step)

    def member_step_name(self, step: Step) -> str | None:
        """See base. srun members are followed as steps named after them."""
        return step.name if is_srun(step.argv) else None
