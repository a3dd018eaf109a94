"""PBS and LSF parsers on samples of qstat -F json, qsub, bjobs -o and bsub output."""

from __future__ import annotations

import logging
from pathlib import Path

from smartsim._core.launcher.lsf import parser as lsf
from smartsim._core.launcher.pbs import parser as pbs
from smartsim._core.launcher.wlm import JobInfo
from smartsim.status import SmartSimStatus

S = SmartSimStatus
DATA = Path(__file__).parent.parent / "data"


def sample(name: str) -> str:
    return (DATA / name).read_text()


def test_qstat_json_states_exit_codes_and_hosts():
    jobs = pbs.parse_qstat_json(sample("pbs/qstat-f-json-running-finished.txt"))
    assert jobs["1201.pbs01"] == JobInfo(S.STATUS_RUNNING, None, "ens", ("node01", "node02"))
    assert jobs["1202.pbs01"] == JobInfo(S.STATUS_COMPLETED, 0, "sim", ("node03",))
    assert jobs["1203.pbs01"].status == S.STATUS_FAILED and jobs["1203.pbs01"].returncode == 3
    # qdel'd: killed by SIGTERM, reported as 256 + 15
    assert jobs["1204.pbs01"] == JobInfo(S.STATUS_CANCELLED, -15, "deleted", ("node04",))
    assert jobs["1205.pbs01"] == JobInfo(
        S.STATUS_QUEUED, None, "waiting", (), "Not Running: Insufficient amount of resource: ncpus"
    )  # the comment of a queued job is why it waits
    assert jobs["1206[].pbs01"].status == S.STATUS_RUNNING


def test_qstat_json_after_an_unknown_job_and_broken_json(caplog):
    assert pbs.parse_qstat_json(sample("pbs/qstat-unknown-job.stderr.txt")) == {}
    with caplog.at_level(logging.WARNING):
        assert pbs.parse_qstat_json('{"Jobs": {"1.s": {"job_state": "R",}}') == {}
    assert "cannot be read" in caplog.text


def test_pbs_unknown_state_warns(caplog):
    with caplog.at_level(logging.WARNING):
        assert pbs.map_state("Z") == S.STATUS_RUNNING
    assert "Unknown PBS job state 'Z'" in caplog.text


def test_qsub_job_id():
    assert pbs.parse_qsub(sample("pbs/qsub.txt")) == "1201.pbs01"
    assert pbs.parse_qsub("") is None


def test_bjobs_states_exit_codes_and_hosts():
    jobs = lsf.parse_bjobs(sample("lsf/bjobs-o-delimited.txt"))
    assert set(jobs) == {"4711", "4712", "4713", "4714", "4715"}
    assert jobs["4711"] == JobInfo(S.STATUS_RUNNING, None, "ens", ("batch1", "h41n01", "h41n02"))
    assert jobs["4712"] == JobInfo(S.STATUS_COMPLETED, 0, "sim", ("batch1", "h41n03"))
    assert jobs["4713"].status == S.STATUS_FAILED and jobs["4713"].returncode == 3
    assert jobs["4714"] == JobInfo(S.STATUS_QUEUED, None, "waiting", ())
    assert jobs["4715"].returncode == 130


def test_bsub_job_id_and_unknown_state(caplog):
    assert lsf.parse_bsub(sample("lsf/bsub.txt")) == "4711"
    assert lsf.parse_bsub("Request aborted by esub. Job not submitted.") is None
    with caplog.at_level(logging.WARNING):
        assert lsf.map_state("NEWSTATE") == S.STATUS_RUNNING
    assert "Unknown LSF job state" in caplog.text
