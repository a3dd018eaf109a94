"""smartsim.wlm.pbs: hosts, queue and tasks of a PBS allocation, from its environment and
from ``qstat -f -F json`` (a fake qstat on PATH answering with real qstat output)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from smartsim.error import LauncherError, SmartSimError
from smartsim.wlm import pbs

DATA = Path(__file__).parents[1] / "data" / "pbs"

# Answers `qstat -f -F json <id>` with that job of a real qstat listing, or as real qstat
# does for an unknown id; records its arguments.
_FAKE_QSTAT = """
import json, sys
from pathlib import Path
Path(sys.argv[1]).write_text(" ".join(sys.argv[2:]))
listing = json.loads(Path(sys.argv[2]).read_text())
job = sys.argv[-1]
if job not in listing["Jobs"]:
    sys.stderr.write(Path(sys.argv[3]).read_text())
    sys.exit(153)
listing["Jobs"] = {job: listing["Jobs"][job]}
print(json.dumps(listing, indent=4))
"""


@pytest.fixture
def qstat(tmp_path, monkeypatch) -> Path:
    """A fake qstat first on PATH; returns the file its last arguments are written to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "fake_qstat.py").write_text(_FAKE_QSTAT)
    calls = tmp_path / "qstat-args"
    listing = DATA / "qstat-f-json-running-finished.txt"
    unknown = DATA / "qstat-unknown-job.stderr.txt"
    script = bin_dir / "qstat"
    script.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{tmp_path / "fake_qstat.py"}" "{calls}" '
        f'"{listing}" "{unknown}" "$@"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return calls


def test_hosts_from_the_node_file(tmp_path, monkeypatch):
    node_file = tmp_path / "nodes"
    # PBS writes one line per slot, with the full host name
    node_file.write_text("node02.cluster\nnode02.cluster\nnode01.cluster\nnode01\n\n")
    monkeypatch.setenv("PBS_NODEFILE", str(node_file))
    assert pbs.get_hosts() == ["node01", "node02"]
    monkeypatch.delenv("PBS_NODEFILE")
    with pytest.raises(SmartSimError, match="Could not parse interactive allocation nodes"):
        pbs.get_hosts()


def test_queue(monkeypatch):
    monkeypatch.setenv("PBS_QUEUE", "workq")
    assert pbs.get_queue() == "workq"
    monkeypatch.delenv("PBS_QUEUE")
    with pytest.raises(SmartSimError, match="Could not parse queue from PBS_QUEUE"):
        pbs.get_queue()


def test_tasks_from_qstat(qstat, monkeypatch):
    monkeypatch.setenv("PBS_JOBID", "1201.pbs01")
    assert pbs.get_tasks() == 8
    assert qstat.read_text().split()[-4:] == ["-f", "-F", "json", "1201.pbs01"]
    assert pbs.get_tasks_per_node() == {"node01": 4, "node02": 4}


def test_a_finished_job_has_no_resources_used(qstat, monkeypatch):
    monkeypatch.setenv("PBS_JOBID", "1202.pbs01")
    with pytest.raises(LauncherError, match="resources_used"):
        pbs.get_tasks()
    assert pbs.get_tasks_per_node() == {"node03": 1}


def test_qstat_errors(qstat, monkeypatch):
    monkeypatch.setenv("PBS_JOBID", "9999.pbs01")
    with pytest.raises(LauncherError, match="Unknown Job Id 9999.pbs01"):
        pbs.get_tasks()
    monkeypatch.delenv("PBS_JOBID")
    with pytest.raises(SmartSimError, match="number of requested tasks without an allocation"):
        pbs.get_tasks()
    with pytest.raises(SmartSimError, match="tasks per node without an allocation"):
        pbs.get_tasks_per_node()


def test_without_qstat(monkeypatch, tmp_path):
    monkeypatch.setenv("PBS_JOBID", "1201.pbs01")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LauncherError, match=r"without access to PBS\(qstat\)"):
        pbs.get_tasks_per_node()


def test_exec_vnode_forms():
    assert pbs.parse_exec_vnode("(n1:ncpus=2:mem=4gb)+(n2:mem=1gb:ncpus=3)") == {"n1": 2, "n2": 3}
    # one chunk over two vnodes, and a vnode in two chunks (its CPUs add up)
    assert pbs.parse_exec_vnode("(n1:ncpus=2+n2:ncpus=2)+(n1:ncpus=1)") == {"n1": 3, "n2": 2}
