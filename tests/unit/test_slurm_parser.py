"""Slurm parsers on real output of sacct, squeue, sbatch, salloc and sinfo (tests/data/slurm)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from smartsim._core.launcher.slurm import parser
from smartsim._core.launcher.wlm import JobInfo, parse_exit_code
from smartsim.status import SmartSimStatus

S = SmartSimStatus
DATA = Path(__file__).parent.parent / "data" / "slurm"


def sample(name: str) -> str:
    return (DATA / name).read_text()


def test_sacct_steps_with_a_lagging_allocation_line():
    jobs = parser.parse_sacct(sample("sacct-steps-allocation-lag.txt"))
    # slurmdbd records the allocation's start after its first steps: PENDING while steps run
    assert jobs["46"] == JobInfo(S.STATUS_QUEUED, 0, "allocation", ("vm",))
    assert jobs["46.0"] == JobInfo(S.STATUS_COMPLETED, 0, "sim_0-a1b2c3", ("vm",))
    assert jobs["46.1"] == JobInfo(S.STATUS_FAILED, 3, "sim_1-d4e5f6", ("vm",))
    assert jobs["46.2"].status == S.STATUS_RUNNING


def test_sacct_cancelled_step_is_cancelled_not_failed():
    jobs = parser.parse_sacct(sample("sacct-step-cancelled.txt"))
    assert jobs["46.2"] == JobInfo(S.STATUS_CANCELLED, -9, "sleeper", ("vm",))
    assert jobs["46"].status == S.STATUS_RUNNING


def test_sacct_batch_job_and_its_member_steps():
    jobs = parser.parse_sacct(sample("sacct-batch-members.txt"))
    assert set(jobs) == {"51", "51.batch", "51.0", "51.1"}
    assert jobs["51.0"].name == "ens_0" and jobs["51.0"].status == S.STATUS_COMPLETED
    assert jobs["51.1"].name == "ens_1" and jobs["51.1"].returncode == 2
    assert jobs["51.1"].status == S.STATUS_FAILED


def test_sacct_array_job_without_nodes():
    jobs = parser.parse_sacct(sample("sacct-array-cancelled.txt"))
    assert jobs == {"50_[2-4%25]": JobInfo(S.STATUS_CANCELLED, 0, "arr", ())}


def test_sacct_skips_banners_and_empty_lines():
    assert parser.parse_sacct("sacct: warning: something\n\n12|a|RUNNING|0:0|n1\n") == {
        "12": JobInfo(S.STATUS_RUNNING, 0, "a", ("n1",))
    }


def test_squeue_jobs_and_steps():
    jobs = parser.parse_squeue_jobs(sample("squeue-jobs.txt"))
    assert jobs["50_[2-4%25]"] == JobInfo(S.STATUS_QUEUED, None, "arr", ())
    assert jobs["49"] == JobInfo(S.STATUS_RUNNING, None, "SmartSim", ("vm",))
    assert parser.parse_squeue_steps(sample("squeue-steps.txt")) == {
        "46.2": JobInfo(S.STATUS_RUNNING, None, "sleeper", ("vm",))
    }


def test_unknown_state_warns_and_counts_as_running(caplog):
    with caplog.at_level(logging.WARNING):
        assert parser.map_state("BRAND_NEW") == S.STATUS_RUNNING
    assert "Unknown Slurm job state 'BRAND_NEW'" in caplog.text


@pytest.mark.parametrize(
    "state, status",
    [("CANCELLED by 1000", S.STATUS_CANCELLED), ("TIMEOUT", S.STATUS_FAILED),
     ("OUT_OF_MEMORY", S.STATUS_FAILED), ("COMPLETING", S.STATUS_RUNNING),
     ("SUSPENDED", S.STATUS_PAUSED), ("REQUEUED", S.STATUS_QUEUED), ("NODE_FAIL", S.STATUS_FAILED)],
)  # fmt: skip
def test_state_table(state, status):
    assert parser.map_state(state) == status


@pytest.mark.parametrize(
    "field, code", [("0:0", 0), ("3:0", 3), ("0:15", -15), ("2:9", 2), ("", None), ("x", None)]
)
def test_exit_code(field, code):
    assert parse_exit_code(field) == code


def test_sbatch_salloc_and_sinfo():
    assert parser.parse_sbatch(sample("sbatch-parsable.txt")) == "47"
    assert parser.parse_sbatch("1234;cluster2\n") == "1234"
    assert parser.parse_sbatch("sbatch: error: nope\n") is None
    assert parser.parse_salloc(sample("salloc-granted.txt")) == "46"
    assert parser.parse_salloc(sample("salloc-granted-banner.txt")) == "1234567"
    assert parser.parse_salloc(sample("salloc-error.txt")) is None
    assert parser.parse_salloc_error(sample("salloc-error.txt")) == (
        "Job submit/allocate failed: Requested partition configuration not available now"
    )
    assert parser.parse_sinfo_nodes(sample("sinfo-nodes.txt")) == [
        parser.PartitionNode("debug", "vm", 64)
    ]
    assert parser.parse_default_partition(sample("sinfo-partitions.txt")) == "debug"


@pytest.mark.parametrize(
    "hostlist, hosts",
    [("vm", ["vm"]), ("nid[001-003,007]", ["nid001", "nid002", "nid003", "nid007"]),
     ("a[1-2]b,c", ["a1b", "a2b", "c"]), ("", [])],
)  # fmt: skip
def test_expand_hostlist(hostlist, hosts):
    assert parser.expand_hostlist(hostlist) == hosts


def test_pending_reasons_come_from_squeue():
    """sacct's Reason lags (None right after submission); squeue's %r is current."""
    lagging = parser.parse_sacct(sample("sacct-pending-reasons.txt"))
    assert lagging["102"] == JobInfo(S.STATUS_QUEUED, 0, "too_many_nodes", ())
    jobs = parser.parse_squeue_jobs(sample("squeue-pending-reasons.txt"))
    assert jobs["102"].reason == "PartitionNodeLimit"
    assert jobs["105"] == JobInfo(S.STATUS_QUEUED, None, "waits_for_node", (), "Resources")
    assert jobs["103"].reason == "JobHeldUser"
    assert jobs["104"] == JobInfo(S.STATUS_RUNNING, None, "runner", ("vm",), "")
