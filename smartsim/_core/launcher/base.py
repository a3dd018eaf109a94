"""Launcher: turns Steps into running jobs, reports their exits, stops them."""

from __future__ import annotations

import abc
import typing as t

from smartsim._core.launcher.step import BatchStep, Step
from smartsim._core.utils.process import ProcessIdentity
from smartsim.error import LauncherUnsupportedFeature, SSUnsupportedError
from smartsim.settings.base import RunSettings, SettingsBase
from smartsim.status import SmartSimStatus

OnExit = t.Callable[[str, "int | None"], None]
"""``on_exit(job_id, returncode)``: how a launcher reports that a job ended by itself."""

OnStatus = t.Callable[[str, SmartSimStatus, "int | None"], None]
"""``on_status(job_id, status, returncode)``: a scheduler's news about a job.

Non-terminal statuses (Queued, Running) update what the JobManager shows; a terminal one
ends the job when its return code alone cannot tell (e.g. a job cancelled by the scheduler).
"""


def _ignore_status(job_id: str, status: SmartSimStatus, returncode: int | None) -> None:
    """The default status hook: statuses other than exits are not shown."""


class Launcher(abc.ABC):
    """One workload manager (or the local machine) as the controller sees it."""

    name: t.ClassVar[str]
    shards_share_host: t.ClassVar[bool] = False
    """True when database shards may run on one host, so each needs its own port."""
    runs_batch_jobs: t.ClassVar[bool] = False
    """True when :meth:`submit_batch` submits batch jobs (a workload manager's launcher)."""
    previews_commands: t.ClassVar[bool] = False
    """True when :meth:`argv` needs no scheduler or runtime, so a preview can show it."""
    private_environment: t.ClassVar[bool] = True
    """True when a step's environment reaches its processes without appearing on a command
    line (a database password travels there). Batch scripts never keep it private."""

    supported_settings: t.ClassVar[tuple[type[SettingsBase], ...]] = (RunSettings,)
    """The settings classes this launcher runs (SmartSim's ``supported_rs``): exactly these
    classes, not their subclasses, as SmartSim matches them."""

    def __init__(self, on_exit: OnExit, on_status: OnStatus | None = None) -> None:
        self._on_exit = on_exit
        self._on_status = on_status or _ignore_status

    @classmethod
    def check_settings(cls, settings: SettingsBase) -> None:
        """Refuse settings this launcher cannot run; the controller asks before anything starts.

        :raises SSUnsupportedError: the class of ``settings`` is not one this launcher runs
        """
        if type(settings) not in cls.supported_settings:
            raise SSUnsupportedError(
                f"RunSettings type {type(settings)} not supported by this launcher"
            )

    @abc.abstractmethod
    def argv(
        self, run_settings: RunSettings, cwd: str, wrapper: list[str] | None = None
    ) -> list[str]:
        """The command that runs these settings with this launcher (pure, for previews too).

        :param wrapper: a command the executable runs under (e.g. the colocated-database
            entrypoint); a launcher puts it where it runs once per task
        """

    @abc.abstractmethod
    def submit(self, step: Step) -> str:
        """Start the step and return its job id.

        :raises LauncherError: the job could not be started
        """

    def submit_many(self, steps: list[Step]) -> list[str]:
        """Start several steps; their job ids in order. A launcher may overlap the starts.

        :raises LauncherError: a job could not be started (those started are left running
            and are not reported; the launcher stops them)
        """
        return [self.submit(step) for step in steps]

    def submit_batch(self, batch: BatchStep) -> list[str]:
        """Submit the steps as one batch job; one job id per member step.

        :raises LauncherUnsupportedFeature: this launcher has no batch system
        """
        raise LauncherUnsupportedFeature(
            f"The {self.name} launcher cannot submit batch jobs ({batch.name!r}); "
            "use a workload-manager launcher or remove the batch settings"
        )

    @abc.abstractmethod
    def stop(self, job_ids: list[str]) -> dict[str, int | None]:
        """End these jobs and everything they started; once gone, their return codes."""

    @abc.abstractmethod
    def adopt(self, job_id: str) -> bool:
        """Watch a job started by an earlier driver (False when it is gone)."""

    def process_identity(self, job_id: str) -> ProcessIdentity | None:
        """How ``smart teardown`` recognises the job's process on this host later (start
        time, command line, marker); None (the default) when the job is not such a process."""
        return None

    def bind_addresses(self, interfaces: list[str]) -> list[str] | None:
        """Addresses database shards bind to, when the driver can know them in advance.

        None (the default) lets each shard resolve its interfaces on its own node; the
        driver then learns where they run from :meth:`job_addresses`.
        """
        return None

    def wait_started(
        self, job_ids: list[str], what: str, silent_limit: float, queue_limit: float
    ) -> None:
        """Return once every job runs (here: at once, nothing queues).

        A scheduler's launcher waits as long as the scheduler lists a job as queued (up to
        ``queue_limit`` seconds; 0: no bound), ``silent_limit`` seconds for one it does not
        list at all, and logs what it waits for (and the scheduler's reason) every few
        seconds.

        :raises SmartSimError: a job ended first, can never start as submitted, or a limit
            passed; the message names ``what`` and the setting that bounds the wait
        """
        return None

    def pending_reason(self, job_id: str) -> str:
        """Why the scheduler keeps this job queued, in its words ("" when it says nothing)."""
        return ""

    def job_addresses(
        self, job_ids: list[str], interfaces: list[str], timeout: float
    ) -> list[list[str]]:
        """Addresses at which each job's database shard can be reached, once it runs.

        :raises SmartSimError: a job ended or did not start within ``timeout`` seconds
        """
        raise LauncherUnsupportedFeature(
            f"The {self.name} launcher cannot tell where jobs run; it must bind shards itself"
        )
