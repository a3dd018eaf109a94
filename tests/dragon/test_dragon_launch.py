"""The Dragon launcher with the real dragonhpc runtime (single node), when it is installed."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from smartsim import Experiment
from smartsim._core.utils.network import find_free_port
from smartsim.settings import DragonRunSettings
from smartsim.status import SmartSimStatus

S = SmartSimStatus
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("dragon") is None,
    reason="dragonhpc is not installed (scripts/test.sh installs it)",
)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def exp(tmp_path):
    experiment = Experiment("exp", exp_path=str(tmp_path), launcher="dragon")
    yield experiment
    experiment._control.stop_all()
    experiment._control.launcher.close()  # ends the runtime: no process may outlive a test


def test_models_complete_or_fail_with_their_code(exp, tmp_path):
    rs = exp.create_run_settings("sh", exe_args=["-c", "echo hi $A; pwd"], env_vars={"A": "x"})
    assert isinstance(rs, DragonRunSettings)
    good = exp.create_model("good", rs)
    bad = exp.create_model("bad", exp.create_run_settings("sh", exe_args=["-c", "exit 3"]))
    ens = exp.create_ensemble("ens", run_settings=exp.create_run_settings("true"), replicas=4)
    exp.start(good, bad, ens)
    assert exp.get_status(good, bad) == [S.STATUS_COMPLETED, S.STATUS_FAILED]
    assert exp.get_status(ens) == [S.STATUS_COMPLETED] * 4
    codes = {job.name: job.current.returncode for job in exp._control.jobs()}
    assert (codes["good"], codes["bad"]) == (0, 3)
    lines = (tmp_path / "good" / "good.out").read_text().splitlines()
    assert lines == ["hi x", str(tmp_path / "good")]


def test_database_and_client_then_stop(exp):
    port = find_free_port()
    db = exp.create_database(port=port, interface="lo")
    code = (
        "import os; from smartredis.wire.connection import Connection; "
        "print(Connection(os.environ['SSDB']).execute('PING'))"
    )
    rs = exp.create_run_settings(sys.executable, exe_args=["-c", code])
    rs.update_env({"PYTHONPATH": REPO})
    client = exp.create_model("client", rs)
    sleeper = exp.create_model("sleeper", exp.create_run_settings("sleep", ["60"]))
    exp.start(db)
    try:
        exp.start(client)
        assert exp.get_status(client) == [S.STATUS_COMPLETED]
        assert open(os.path.join(client.path, "client.out")).read() == "PONG\n"
        exp.start(sleeper, block=False)
        exp.stop(sleeper)
        assert exp.get_status(sleeper) == [S.STATUS_CANCELLED]
    finally:
        exp.stop(db)
    assert exp.get_status(db) == [S.STATUS_CANCELLED]
