"""MPI run settings (mpirun, mpiexec, orterun) launched for real with Open MPI, locally."""

from __future__ import annotations

import os
import shutil
import sys
import time

import pytest

from smartsim import Experiment
from smartsim.settings import MpiexecSettings, MpirunSettings, OrterunSettings
from smartsim.status import SmartSimStatus

S = SmartSimStatus
pytestmark = pytest.mark.skipif(
    not shutil.which("mpirun"), reason="Open MPI is not installed (scripts/test.sh installs it)"
)
# Each rank writes its own file: ranks printing at once interleave in the shared .out file.
RANK = (
    "import os; r = os.environ['OMPI_COMM_WORLD_RANK']; "
    "open('rank-' + r, 'w').write(r + ' ' + str(os.environ.get('A')))"
)


def _rank_lines(path) -> list[str]:  # type: ignore[no-untyped-def]
    """What each rank wrote to its ``rank-<n>`` file in ``path``, sorted."""
    return sorted(f.read_text() for f in path.glob("rank-*"))


@pytest.fixture
def exp(tmp_path, monkeypatch):
    if os.geteuid() == 0:  # Open MPI refuses root unless told twice
        monkeypatch.setenv("OMPI_ALLOW_RUN_AS_ROOT", "1")
        monkeypatch.setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    experiment = Experiment("mpi", exp_path=str(tmp_path), launcher="local")
    yield experiment
    experiment._control.stop_all()


@pytest.mark.parametrize(
    "command, cls",
    [("mpirun", MpirunSettings), ("mpiexec", MpiexecSettings), ("orterun", OrterunSettings)],
)
def test_ranks_run_with_the_settings_environment(exp, tmp_path, command, cls):
    rs = exp.create_run_settings(
        sys.executable, exe_args=["-c", RANK], run_command=command, env_vars={"A": "x"}
    )
    assert isinstance(rs, cls)
    rs.set_tasks(2)
    rs.run_args["oversubscribe"] = None
    model = exp.create_model("ranks", rs)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_COMPLETED]
    lines = _rank_lines(tmp_path / "ranks")
    assert lines == ["0 x", "1 x"]


def test_failing_rank_fails_the_job(exp):
    code = "import os, sys; sys.exit(int(os.environ['OMPI_COMM_WORLD_RANK']) * 5)"
    rs = exp.create_run_settings(sys.executable, exe_args=["-c", code], run_command="mpirun")
    rs.set_tasks(2)
    rs.run_args["oversubscribe"] = None
    model = exp.create_model("bad", rs)
    exp.start(model)
    assert exp.get_status(model) == [S.STATUS_FAILED]
    assert exp._control.jobs()[0].current.returncode != 0


def test_stop_ends_mpirun_and_its_ranks(exp):
    rs = exp.create_run_settings("sleep", exe_args=["60"], run_command="mpirun")
    rs.set_tasks(2)
    rs.run_args["oversubscribe"] = None
    model = exp.create_model("long", rs)
    exp.start(model, block=False)
    time.sleep(0.5)
    exp.stop(model)
    assert exp.get_status(model) == [S.STATUS_CANCELLED]


COLO_RANK = (
    "import os, sys\n"
    "from smartredis.wire.connection import Connection\n"
    "conn = Connection(os.environ['SSDB'])\n"
    "rank = os.environ['OMPI_COMM_WORLD_RANK']\n"
    "conn.execute('SET', 'rank' + rank, sys.argv[1])\n"
    "open('rank-' + rank, 'w').write(f\"{rank} {sys.argv[1]} {conn.execute('DBSIZE') >= 1}\")\n"
)


def test_mpmd_with_a_colocated_database(exp, tmp_path):
    """MPMD ranks share one colocated database (SmartSim 0.8 refused this combination)."""
    from smartsim._core.utils.network import find_free_ports

    first = exp.create_run_settings(
        sys.executable, exe_args=["-c", COLO_RANK, "a"], run_command="mpirun"
    )
    second = exp.create_run_settings(
        sys.executable, exe_args=["-c", COLO_RANK, "b"], run_command="mpirun"
    )
    for rs in (first, second):
        rs.set_tasks(1)
        rs.run_args["oversubscribe"] = None
    first.make_mpmd(second)
    model = exp.create_model("mpmd", first)
    model.colocate_db_tcp(port=find_free_ports(1))
    exp.start(model)
    out = (tmp_path / "mpmd" / "mpmd.out").read_text()
    assert exp.get_status(model) == [S.STATUS_COMPLETED], out
    assert _rank_lines(tmp_path / "mpmd") == ["0 a True", "1 b True"]
