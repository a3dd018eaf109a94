"""The shared WLM base without a scheduler: batch script files, the status loop, cancels."""

from __future__ import annotations

import threading
import time

import pytest

from smartsim._core.launcher import wlm
from smartsim._core.launcher.step import BatchStep, Step
from smartsim._core.launcher.wlm import JobInfo, WLMLauncher
from smartsim.settings import SbatchSettings
from smartsim.status import SmartSimStatus

S = SmartSimStatus


class ScriptedLauncher(WLMLauncher):
    """A scheduler whose answers come from a dict the test edits."""

    name = "scripted"

    def __init__(self, on_exit, on_status) -> None:
        super().__init__(on_exit, on_status)
        self.jobs: dict[str, JobInfo] = {}
        self.commands: list[list[str]] = []
        self.queries: list[list[str]] = []

    def run(self, argv, stdin=None):
        self.commands.append(argv)
        return (0, "77\n", "") if argv[0] == "submit" else (0, "", "")

    def query_status(self, job_ids):
        self.queries.append(job_ids)
        return dict(self.jobs)

    def cancel_argv(self, ids):
        return ["cancel", *ids]

    def submit_batch_argv(self, settings, script_path, script):
        return ["submit", script_path], None

    def parse_submit(self, output):
        return output.strip()

    def member_step_name(self, step):
        return step.name


@pytest.fixture
def events():
    return []


@pytest.fixture
def launcher(events, monkeypatch):
    monkeypatch.setattr(wlm, "FIRST_INTERVAL", 0.01)
    monkeypatch.setenv("SMARTSIM_JM_INTERVAL", "0.02")
    return ScriptedLauncher(
        lambda key, rc: events.append((key, "exit", rc)),
        lambda key, status, rc: events.append((key, status, rc)),
    )


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_batch_members_follow_their_steps(launcher, events, tmp_path):
    steps = [Step(f"e_{i}", "Model", ["srun", "true"], str(tmp_path / f"e_{i}")) for i in range(2)]
    batch = BatchStep("e", str(tmp_path), SbatchSettings(nodes=1), steps)
    keys = launcher.submit_batch(batch)
    assert keys == ["77.e_0", "77.e_1"]
    assert (tmp_path / "e.sh").read_text().startswith("#!/bin/bash\n\n#SBATCH --output=")
    assert events == [("77.e_0", S.STATUS_QUEUED, None), ("77.e_1", S.STATUS_QUEUED, None)]
    launcher.jobs = {
        "77": JobInfo(S.STATUS_RUNNING),
        "77.0": JobInfo(S.STATUS_COMPLETED, 0, "e_0", ("n1",)),
        "77.1": JobInfo(S.STATUS_RUNNING, None, "e_1", ("n1",)),
    }
    _wait(lambda: ("77.e_0", "exit", 0) in events)
    _wait(lambda: ("77.e_1", S.STATUS_RUNNING, None) in events)
    launcher.jobs["77.1"] = JobInfo(S.STATUS_FAILED, 0, "e_1", ("n1",))  # e.g. a timeout
    _wait(lambda: ("77.e_1", S.STATUS_FAILED, 0) in events)
    assert all(query == ["77"] for query in launcher.queries)


def test_stop_cancels_the_whole_batch_job_when_all_members_stop(launcher, events, tmp_path):
    steps = [Step(f"e_{i}", "Model", ["x"], str(tmp_path)) for i in range(2)]
    keys = launcher.submit_batch(BatchStep("e", str(tmp_path), SbatchSettings(), steps))

    def scheduler_cancels() -> None:
        _wait(lambda: ["cancel", "77"] in launcher.commands)
        launcher.jobs = {"77": JobInfo(S.STATUS_CANCELLED, -15)}

    threading.Thread(target=scheduler_cancels).start()
    assert launcher.stop(keys) == {"77.e_0": -15, "77.e_1": -15}
    assert (keys[0], S.STATUS_CANCELLED, -15) in events

