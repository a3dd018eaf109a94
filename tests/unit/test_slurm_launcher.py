"""SlurmLauncher's queries with scripted command results: sacct, and squeue when it fails."""

from __future__ import annotations

from pathlib import Path

from smartsim._core.launcher.slurm.launcher import SlurmLauncher
from smartsim._core.launcher.wlm import JobInfo
from smartsim.status import SmartSimStatus

S = SmartSimStatus
DATA = Path(__file__).parent.parent / "data" / "slurm"


def _launcher(answers: dict[str, tuple[int, str, str]], calls: list[list[str]]) -> SlurmLauncher:
    launcher = SlurmLauncher(lambda *a: None)

    def run(argv, stdin=None):
        calls.append(argv)
        key = argv[0] + (" --steps" if "--steps" in argv else "")
        return answers[key]

    launcher.run = run  # type: ignore[method-assign]
    return launcher


def test_one_sacct_query_for_all_jobs():
    calls: list[list[str]] = []
    sample = (DATA / "sacct-batch-members.txt").read_text()
    launcher = _launcher({"sacct": (0, sample, ""), "squeue": (0, "", "")}, calls)
    infos = launcher.query_status(["51"])
    assert calls == [[
        "sacct", "--noheader", "--parsable2", "--format=JobID,JobName,State,ExitCode,NodeList",
        "--jobs=51",
    ]]  # fmt: skip
    assert infos is not None and infos["51.1"].returncode == 2


def test_squeue_fills_in_what_sacct_does_not_know_yet():
    """A job accounting has not recorded yet, and a queued job's reason, come from squeue
    (sacct's Reason says None for a while); a running allocation is not asked about."""
    calls: list[list[str]] = []
    sacct = (DATA / "sacct-pending-reasons.txt").read_text()
    squeue = (DATA / "squeue-pending-reasons.txt").read_text()
    launcher = _launcher({"sacct": (0, sacct, ""), "squeue": (0, squeue, "")}, calls)
    infos = launcher.query_status(["102", "104", "105", "999"])
    assert calls[1] == [
        "squeue", "--noheader", "--states=all", "--jobs=102,105,999", "--format=%i|%j|%T|%N|%r"
    ]
    assert infos is not None
    assert infos["102"] == JobInfo(S.STATUS_QUEUED, 0, "too_many_nodes", (), "PartitionNodeLimit")
    assert infos["105"].reason == "Resources" and infos["104"].reason == ""
    assert "999" not in infos  # neither tool knows it


def test_an_allocation_sacct_calls_pending_is_asked_about_once():
    calls: list[list[str]] = []
    lagging = "46|allocation|PENDING|0:0|vm\n"
    running = "46|SmartSim|RUNNING|vm|None\n"
    launcher = _launcher({"sacct": (0, lagging, ""), "squeue": (0, running, "")}, calls)
    for _ in range(3):
        launcher.query_status(["46"])
    assert [argv[0] for argv in calls] == ["sacct", "squeue", "sacct", "sacct"]


def test_squeue_when_accounting_is_off():
    calls: list[list[str]] = []
    answers = {
        "sacct": (1, "", "Slurm accounting storage is disabled"),
        "squeue": (0, (DATA / "squeue-jobs.txt").read_text(), ""),
        "squeue --steps": (0, (DATA / "squeue-steps.txt").read_text(), ""),
    }
    launcher = _launcher(answers, calls)
    infos = launcher.query_status(["49"])
    assert infos is not None
    assert infos["49"] == JobInfo(S.STATUS_RUNNING, None, "SmartSim", ("vm",))
    assert infos["46.2"].name == "sleeper"
    launcher.query_status(["49"])
    assert [argv[0] for argv in calls] == ["sacct", "squeue", "squeue", "squeue", "squeue"]


def test_cancel_and_submit_commands():
    launcher = SlurmLauncher(lambda *a: None)
    assert launcher.cancel_argv(["5.1", "6"]) == ["scancel", "5.1", "6"]
    assert launcher.parse_submit("77\n") == "77"
