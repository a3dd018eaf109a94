"""Shared base of workload-manager launchers: batch jobs, steps, one status query per interval.

A subclass supplies the scheduler's commands and parsers (``query_status``, ``cancel_argv``,
``submit_batch_argv``, ``parse_submit``); this base owns the job table, the batched status
loop (one query for every job, 0.1 s at first, slowing to ``SMARTSIM_JM_INTERVAL``; what an
answer means is :func:`~smartsim._core.launcher.reconcile.reconcile`'s to say), batch
script files, cancellation, and steps run as local processes of the driver (``mpirun`` inside
an allocation, or ``srun`` whose step the subclass then follows in the scheduler).
"""

from __future__ import annotations

import abc
import os
import shlex
import socket
import threading
import time
import typing as t
from dataclasses import replace

from smartsim._core.config import get_config
from smartsim._core.launcher.base import Launcher, OnExit, OnStatus
from smartsim._core.launcher.local.launcher import LocalLauncher
from smartsim._core.launcher.local.step import local_argv
from smartsim._core.launcher.reconcile import JobInfo, Tracked, from_rc, reconcile, step_end
from smartsim._core.launcher.step import BatchStep, Step, in_dir_with_output
from smartsim._core.utils.process import ProcessIdentity
from smartsim._core.utils.shell import CommandResult, run_command
from smartsim.error import LauncherError, SmartSimError
from smartsim.log import get_logger
from smartsim.settings.base import BatchSettings, RunSettings, SettingsBase
from smartsim.settings.mpiSettings import MpiexecSettings, MpirunSettings, OrterunSettings
from smartsim.status import TERMINAL_STATUSES, SmartSimStatus

logger = get_logger(__name__)

S = SmartSimStatus
FIRST_INTERVAL = 0.1
"""Seconds before the first status query after a submission or an exit."""
GROWTH = 1.5
"""Each quiet interval is this much longer than the last, up to SMARTSIM_JM_INTERVAL."""
DISCOVERY_WAIT = 5.0
"""Seconds a submission waits for the scheduler to name its steps before keeping its own key."""
_LOOPBACK_INTERFACES = frozenset({"lo", "lo0"})


def parse_exit_code(field: str) -> int | None:
    """A return code from ``exit:signal`` (sacct) or a plain number; -signal when killed."""
    code, _, sig = field.strip().partition(":")
    try:
        exit_code = int(code)
        signal_number = int(sig) if sig else 0
    except ValueError:
        return None
    return exit_code if exit_code or not signal_number else -signal_number


def _queued_jobs(queued: list[Tracked]) -> str:
    """``job 12 (Resources), job 13 (pending)``: queued jobs and why, for a message."""
    return ", ".join(f"job {tr.job or tr.key} ({tr.reason or 'pending'})" for tr in queued)


def node_address(node: str, interfaces: list[str]) -> str:
    """The address a shard on ``node`` listening on ``interfaces`` answers at.

    :raises SmartSimError: the node's name does not resolve
    """
    if interfaces and all(name in _LOOPBACK_INTERFACES for name in interfaces):
        return "127.0.0.1"
    try:
        return socket.gethostbyname(node)
    except OSError as exc:
        raise SmartSimError(f"Cannot resolve the address of node {node!r}: {exc}") from exc


class WLMLauncher(Launcher):
    """A launcher for a workload manager: see the module docstring."""

    shards_share_host = True  # shards in one allocation may share a node: one port each
    runs_batch_jobs = True
    script_suffix: t.ClassVar[str] = "sh"
    supported_settings: t.ClassVar[tuple[type[SettingsBase], ...]] = (
        RunSettings,
        MpirunSettings,
        MpiexecSettings,
        OrterunSettings,
    )
    """See base; a scheduler's own run command and batch settings are added by each."""

    def __init__(self, on_exit: OnExit, on_status: OnStatus | None = None) -> None:
        super().__init__(on_exit, on_status)
        self._cond = threading.Condition()
        self._tracked: dict[str, Tracked] = {}
        self._by_pid: dict[int, Tracked] = {}
        self._early_exits: dict[int, int | None] = {}
        self._local = LocalLauncher(self._local_exited)
        self._thread: threading.Thread | None = None
        self._hurry = False

    # -- what a scheduler supplies ----------------------------------------------------------

    def run(self, argv: list[str], stdin: str | None = None) -> CommandResult:
        """Run one scheduler command: the single place this launcher touches the outside."""
        return run_command(argv, stdin=stdin)

    @abc.abstractmethod
    def query_status(self, job_ids: list[str]) -> dict[str, JobInfo] | None:
        """One status query for all these jobs (steps included); None when it failed."""

    @abc.abstractmethod
    def cancel_argv(self, ids: list[str]) -> list[str]:
        """The command that cancels these jobs or steps."""

    @abc.abstractmethod
    def submit_batch_argv(
        self, settings: BatchSettings, script_path: str, script: str
    ) -> tuple[list[str], str | None]:
        """The command (and its standard input) that submits a written batch script."""

    @abc.abstractmethod
    def parse_submit(self, output: str) -> str | None:
        """The job id in the batch command's output."""

    def wait_cancelled(self, ids: list[str], deadline: float) -> None:
        """Return once the scheduler has ended the processes of these cancelled jobs (the
        default trusts the status query)."""

    def batch_member_argv(self, step: Step) -> list[str]:
        """How a member step runs inside a batch script (default: a local command)."""
        return in_dir_with_output(step)

    def member_step_name(self, step: Step) -> str | None:
        """The scheduler step name a batch member is followed by (None: the job's status)."""
        return None

    def scheduler_step(self, step: Step) -> tuple[str, str, list[str]] | None:
        """For a step the scheduler runs as a step of an allocation: ``(allocation, step name,
        argv)``; None runs the step as a plain local process (the default)."""
        return None

    # -- Launcher ---------------------------------------------------------------------------

    def argv(
        self, run_settings: RunSettings, cwd: str, wrapper: list[str] | None = None
    ) -> list[str]:
        """See base. Run commands without a scheduler step run as local processes.

        A wrapper (the colocated database's entrypoint) goes inside an MPI run command, once
        per rank as srun's tasks have it: mpirun spreads the ranks over the allocation's
        nodes, and each node needs its own database, not one on the driver's host.
        """
        argv = local_argv(run_settings, cwd)
        if not wrapper or not run_settings.run_command:
            return [*(wrapper or []), *argv]
        head = len([run_settings.run_command, *run_settings.format_run_args()])
        return [*argv[:head], *wrapper, *argv[head:]]

    def submit(self, step: Step) -> str:
        """See base."""
        return self.submit_many([step])[0]

    def submit_many(self, steps: list[Step]) -> list[str]:
        """See base. Starts every step, then learns all step ids with shared queries."""
        started: list[Tracked] = []
        try:
            for step in steps:
                started.append(self._start(step))
        except BaseException:
            self._stop_tracked(started)
            raise
        pending = [tr for tr in started if tr.step_name is not None]
        if pending:
            self._wake()
            deadline = time.monotonic() + DISCOVERY_WAIT
            with self._cond:
                while any(tr.step_id is None and not tr.done for tr in pending):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                for tr in pending:
                    if tr.step_id is not None:
                        del self._tracked[tr.key]
                        tr.key = tr.step_id
                        self._tracked[tr.key] = tr
                    tr.reported = True
                    if not tr.done:
                        tr.events.append((tr.status, None))
        self._flush(started)
        return [tr.key for tr in started]

    def _start(self, step: Step) -> Tracked:
        prepared = self.scheduler_step(step)
        launch = step if prepared is None else replace(step, argv=prepared[2])
        pid = int(self._local.submit(launch))
        with self._cond:
            if prepared is None:
                tr = Tracked(f"local:{pid}", None, pid=pid, status=S.STATUS_RUNNING)
                tr.nodes = (socket.gethostname(),)
            else:
                alloc, name, _ = prepared
                tr = Tracked(f"{alloc}.{name}", alloc, step_name=name, pid=pid, reported=False)
            self._tracked[tr.key] = tr
            self._by_pid[pid] = tr
            if pid in self._early_exits:
                self._record_exit(tr, self._early_exits.pop(pid))
        return tr

    def submit_batch(self, batch: BatchStep) -> list[str]:
        """See base. Writes ``<cwd>/<name>.sh`` and submits it; members are followed as the
        batch job's steps where the scheduler names them, else by the job's status."""
        members = [self.batch_member_argv(step) for step in batch.steps]
        script = batch.batch_settings.render_script(
            batch.name, batch.out_file, batch.err_file, members
        )
        os.makedirs(batch.cwd, exist_ok=True)
        path = os.path.join(batch.cwd, f"{batch.name}.{self.script_suffix}")
        with open(path, "w", encoding="utf-8") as out:
            out.write(script)
        argv, stdin = self.submit_batch_argv(batch.batch_settings, path, script)
        rc, out_text, err_text = self.run(argv, stdin)
        job = self.parse_submit(out_text) if rc == 0 else None
        if job is None:
            raise LauncherError(
                f"{os.path.basename(argv[0])} rejected batch job '{batch.name}' (exit {rc}): "
                f"{(err_text or out_text).strip() or 'no job id in its output'}; script: {path}"
            )
        logger.debug(f"Submitted batch job {job} for {batch.name}: {shlex.join(argv)}")
        single = len(batch.steps) == 1
        started = []
        with self._cond:
            for step in batch.steps:
                key = job if single else f"{job}.{step.name}"
                tr = Tracked(key, job, step_name=self.member_step_name(step), batch=True)
                tr.events.append((S.STATUS_QUEUED, None))
                self._tracked[key] = tr
                started.append(tr)
        self._flush(started)
        self._wake()
        return [tr.key for tr in started]

    def stop(self, job_ids: list[str]) -> dict[str, int | None]:
        """See base. Cancels through the scheduler, then waits until the jobs are gone."""
        with self._cond:
            tracked = [self._tracked[key] for key in job_ids if key in self._tracked]
        self._stop_tracked(tracked)
        return {key: self._tracked[key].returncode if key in self._tracked else None
                for key in job_ids}  # fmt: skip

    def _stop_tracked(self, tracked: list[Tracked]) -> None:
        with self._cond:
            live = [tr for tr in tracked if not tr.done]
            targets = self._cancel_targets(live)
            orphans = [tr.pid for tr in live if tr.pid and (tr.job is None or tr.step_id is None)]
        if targets:
            rc, out, err = self.run(self.cancel_argv(targets))
            if rc != 0:
                logger.warning(f"Cancelling {targets} failed (exit {rc}): {(err or out).strip()}")
        if orphans:
            self._local.stop([str(pid) for pid in orphans])
        self._wake()
        grace = get_config().stop_grace_period
        deadline = time.monotonic() + grace + 10.0
        with self._cond:
            while any(not tr.done for tr in live) and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            for tr in live:
                if not tr.done:
                    logger.warning(f"Job {tr.key} did not report its end after cancellation")
                    tr.finish(S.STATUS_CANCELLED, None)
            self._cond.notify_all()
            pids = [tr.pid for tr in live if tr.pid and tr.proc_exited_at is None]
        if pids:  # e.g. an srun that outlives its cancelled step
            self._local.stop([str(pid) for pid in pids])
        if targets:
            self.wait_cancelled(targets, deadline)
        self._flush(live)

    def _cancel_targets(self, live: list[Tracked]) -> list[str]:
        """Scheduler ids to cancel: a whole batch job when all its members stop, else steps."""
        chosen = {tr.key for tr in live}
        targets: list[str] = []
        for tr in live:
            if tr.job is None:
                continue
            if tr.batch:
                siblings = [o for o in self._tracked.values() if o.job == tr.job and not o.done]
                if all(o.key in chosen for o in siblings):
                    if tr.job not in targets:
                        targets.append(tr.job)
                    continue
            if tr.step_id is not None:
                targets.append(tr.step_id)
            elif tr.batch:
                logger.warning(
                    f"{tr.key} has not started in batch job {tr.job} and cannot be cancelled "
                    "alone; stop the whole batch job to end it"
                )
        return targets

    def adopt(self, job_id: str) -> bool:
        """See base. ``<job>.<n>`` follows a step, ``<job>.<name>`` a named step."""
        job, _, rest = job_id.partition(".")
        infos = self.query_status([job]) or {}
        tr = Tracked(job_id, job, step_name=rest if rest and not rest.isdigit() else None)
        tr.step_id = job_id if rest.isdigit() else None
        info = infos.get(job_id) or infos.get(job)
        if info is None or info.status in TERMINAL_STATUSES:
            return False
        tr.status, tr.nodes = info.status, info.nodes
        with self._cond:
            self._tracked[job_id] = tr
        self._wake()
        return True

    def process_identity(self, job_id: str) -> ProcessIdentity | None:
        """See base: a ``local:<pid>`` job is a process of this host; scheduler jobs are not."""
        if job_id.startswith("local:"):
            return self._local.process_identity(job_id.split(":", 1)[1])
        return None

    def cancel_leftovers(self, keys: list[str]) -> list[str]:
        """Cancel what still runs of jobs an earlier driver recorded (``smart teardown``).

        ``<job>`` is a batch job; ``<job>.<n>`` a step; ``<job>.<name>`` the step named so
        (a step of an allocation, or a batch job's member); ``local:<pid>`` keys are not
        scheduler jobs and are skipped. Returns the keys that were cancelled.
        """
        wanted = [key for key in keys if not key.startswith("local:")]
        jobs = sorted({key.split(".", 1)[0] for key in wanted})
        infos = self.query_status(jobs) if jobs else {}
        if not infos:
            return []
        named = {
            (sched_id.split(".", 1)[0], info.name): sched_id
            for sched_id, info in infos.items()
            if "." in sched_id
        }
        targets: dict[str, str] = {}
        for key in wanted:
            job, _, rest = key.partition(".")
            sched_id = key if not rest or rest.isdigit() else named.get((job, rest))
            info = infos.get(sched_id) if sched_id else None
            if sched_id and info is not None and info.status not in TERMINAL_STATUSES:
                targets[key] = sched_id
        if targets:
            rc, out, err = self.run(self.cancel_argv(sorted(set(targets.values()))))
            if rc != 0:
                raise LauncherError(f"Cancelling {sorted(targets.values())} failed: {err or out}")
        return list(targets)

    never_starts: t.ClassVar[t.Mapping[str, str]] = {}
    """Pending reasons after which a job can never start as submitted, and what they mean."""

    def wait_started(
        self, job_ids: list[str], what: str, silent_limit: float, queue_limit: float
    ) -> None:
        """See base."""
        started = time.monotonic()
        note_at = started + get_config().progress_interval
        with self._cond:
            tracked = [self._tracked[key] for key in job_ids]
            while True:
                ended = [tr.key for tr in tracked if tr.done]
                if ended:
                    raise SmartSimError(f"{what}: job(s) {ended} ended before they started")
                queued = [tr for tr in tracked if tr.status == S.STATUS_QUEUED and not tr.nodes]
                if not queued:
                    return
                self._check_queue(queued, what, time.monotonic() - started, silent_limit,
                                  queue_limit)  # fmt: skip
                now = time.monotonic()
                if now >= note_at:
                    logger.info(
                        f"{what}: waiting for {self.name} to start {_queued_jobs(queued)} "
                        f"(queued for {now - started:.0f} s)"
                    )
                    note_at = now + get_config().progress_interval
                self._cond.wait(0.5)

    def pending_reason(self, job_id: str) -> str:
        """See base."""
        with self._cond:
            tracked = self._tracked.get(job_id)
            return tracked.reason if tracked is not None else ""

    def _check_queue(
        self,
        queued: list[Tracked],
        what: str,
        waited: float,
        silent_limit: float,
        queue_limit: float,
    ) -> None:
        """Raise when a queued job cannot ever start, or its wait passed its bound."""
        for tr in queued:
            if tr.reason in self.never_starts:
                raise SmartSimError(
                    f"{what}: {self.name} job {tr.job or tr.key} can never start as submitted: "
                    f"the scheduler says {tr.reason} ({self.never_starts[tr.reason]})"
                )
        if queue_limit > 0 and waited > queue_limit:
            raise SmartSimError(
                f"{what}: {_queued_jobs(queued)} still queued after {waited:.0f} s; "
                f"SMARTSIM_DB_QUEUE_TIMEOUT={queue_limit:g} bounds this wait (0: no bound)"
            )
        unlisted = [tr for tr in queued if not tr.listed_queued]
        if waited > silent_limit and unlisted:
            raise SmartSimError(
                f"{what}: {_queued_jobs(unlisted)} did not start within {waited:.0f} s and "
                f"{self.name} does not list it as queued; SMARTSIM_DB_READY_TIMEOUT="
                f"{silent_limit:g} bounds such a wait"
            )

    def job_addresses(
        self, job_ids: list[str], interfaces: list[str], timeout: float
    ) -> list[list[str]]:
        """See base. Waits until the scheduler names each job's node."""
        deadline = time.monotonic() + timeout
        with self._cond:
            tracked = [self._tracked[key] for key in job_ids]
            while True:
                ended = [tr.key for tr in tracked if tr.done]
                if ended:
                    raise SmartSimError(f"Job(s) {ended} ended before they started running")
                if all(tr.nodes for tr in tracked):
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    waiting = [tr.key for tr in tracked if not tr.nodes]
                    raise SmartSimError(
                        f"Job(s) {waiting} run but {self.name} did not name their node "
                        f"within {timeout:g} s; SMARTSIM_DB_READY_TIMEOUT bounds this wait"
                    )
                self._cond.wait(min(remaining, 0.5))
            nodes = [tr.nodes[0] for tr in tracked]
        return [[node_address(node, interfaces)] for node in nodes]

    # -- the status loop --------------------------------------------------------------------

    def _wake(self) -> None:
        """Query soon (after FIRST_INTERVAL), e.g. after a submission or an exit."""
        with self._cond:
            self._hurry = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name=f"smartsim-{self.name}-status", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _active_jobs(self) -> list[str]:
        jobs = {tr.job for tr in self._tracked.values() if tr.job is not None and not tr.done}
        return sorted(jobs)

    def _loop(self) -> None:
        """One status query per interval for every job: FIRST_INTERVAL after news (a
        submission, an exit, a cancel), then GROWTH times longer each quiet round."""
        interval = FIRST_INTERVAL
        last = -float("inf")
        while True:
            with self._cond:
                while True:
                    if not self._active_jobs():
                        self._cond.wait()
                        continue
                    if self._hurry:
                        interval, self._hurry = FIRST_INTERVAL, False
                    now = time.monotonic()
                    if now >= last + interval:
                        break
                    self._cond.wait(last + interval - now)
                jobs = self._active_jobs()
            last = time.monotonic()
            try:
                self._poll(jobs)
            except Exception:  # keep watching; a bad answer must not end the loop
                logger.exception(f"{self.name} status query failed")
            interval = min(interval * GROWTH, max(get_config().wlm_poll_interval, FIRST_INTERVAL))

    def _poll(self, jobs: list[str]) -> None:
        infos = self.query_status(jobs)
        now = time.monotonic()
        with self._cond:
            changed: dict[str, Tracked] = {}
            for key, event in reconcile(self._tracked.values(), infos, now):
                tr = self._tracked[key]
                event.apply(tr)
                changed[key] = tr
            self._cond.notify_all()
        self._flush(changed.values())

    # -- exits and reports ------------------------------------------------------------------

    def _local_exited(self, pid_text: str, returncode: int | None) -> None:
        """Exit of a local process we started (srun, or a run command such as mpirun)."""
        pid = int(pid_text)
        with self._cond:
            tr = self._by_pid.get(pid)
            if tr is None:
                self._early_exits[pid] = returncode
                return
            self._record_exit(tr, returncode)
        self._flush([tr])
        self._wake()

    def _record_exit(self, tr: Tracked, returncode: int | None) -> None:
        tr.proc_rc = returncode
        tr.proc_exited_at = time.monotonic()
        self._by_pid.pop(tr.pid or -1, None)
        if tr.pending is not None:
            tr.finish(*step_end(*tr.pending, returncode))
        elif tr.job is None:
            from_rc(returncode).apply(tr)
        self._cond.notify_all()

    def _flush(self, tracked: t.Iterable[Tracked]) -> None:
        """Report the news of these jobs, outside the lock (the hooks take their own)."""
        news: list[tuple[str, SmartSimStatus, int | None]] = []
        with self._cond:
            for tr in tracked:
                if tr.reported and tr.events:
                    news += [(tr.key, status, rc) for status, rc in tr.events]
                    tr.events.clear()
        for key, status, rc in news:
            plain_exit = (status == S.STATUS_COMPLETED and rc == 0) or (
                status == S.STATUS_FAILED and rc not in (None, 0)
            )
            if plain_exit:
                self._on_exit(key, rc)
            else:
                self._on_status(key, status, rc)
