"""ML objects attached to entities are stored before the entities run."""

from __future__ import annotations

import os
import sys

import pytest

from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.status import SmartSimStatus

torch = pytest.importorskip("torch")

APP = """
import numpy as np
from smartredis import Client
client = Client()
client.use_tensor_ensemble_prefix(False)  # as in SmartRedis, inputs are read unprefixed
client.put_tensor("x", np.ones((2, 8), dtype=np.float32))
client.run_model("mlp", "x", "y")
client.run_script("ops", "double", ["x"], ["x2"])
client.run_script("triple", "triple", ["x"], ["x3"])
print(client.get_tensor("y").shape, float(client.get_tensor("x2").sum()),
      float(client.get_tensor("x3").sum()))
"""


def triple(t):
    return 3 * t


@pytest.fixture
def exp(tmp_path):
    experiment = Experiment("objs", exp_path=str(tmp_path))
    yield experiment
    experiment._control.stop_all()


def _attach(entity, tmp_path) -> None:
    module = torch.nn.Sequential(torch.nn.Linear(8, 3)).eval()
    path = tmp_path / "mlp.pt"
    torch.jit.save(torch.jit.script(module), str(path))
    entity.add_ml_model("mlp", "TORCH", model_path=str(path))
    entity.add_script("ops", script="def double(x):\n    return 2 * x\n")
    entity.add_function("triple", triple)


def _app_settings(exp):
    return exp.create_run_settings(sys.executable, exe_args=["-c", APP])


def _output(entity) -> str:
    with open(os.path.join(entity.path, f"{entity.name}.out"), encoding="utf-8") as handle:
        out = handle.read()
    with open(os.path.join(entity.path, f"{entity.name}.err"), encoding="utf-8") as handle:
        return out + handle.read()


def test_model_objects_are_stored_before_it_runs(exp, tmp_path):
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    model = exp.create_model("app", _app_settings(exp))
    _attach(model, tmp_path)
    exp.start(db, model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED], _output(model)
    assert _output(model).split() == ["(2,", "3)", "32.0", "48.0"]
    exp.stop(db)


def test_ensemble_objects_on_a_cluster(exp, tmp_path):
    db = exp.create_database(port=find_free_ports(3, cluster=True), db_nodes=3, interface="lo")
    ensemble = exp.create_ensemble("ens", run_settings=_app_settings(exp), replicas=2)
    _attach(ensemble, tmp_path)
    exp.start(db, ensemble)
    for member in ensemble:
        assert exp.get_status(member) == [SmartSimStatus.STATUS_COMPLETED], _output(member)
        assert _output(member).split() == ["(2,", "3)", "32.0", "48.0"]
    exp.stop(db)


def test_colocated_objects(exp, tmp_path):
    model = exp.create_model("colo", _app_settings(exp))
    _attach(model, tmp_path)
    model.colocate_db_tcp(port=find_free_ports(1))
    exp.start(model)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED], _output(model)
    assert _output(model).split() == ["(2,", "3)", "32.0", "48.0"]


def test_objects_without_a_database_are_refused(exp, tmp_path):
    from smartsim.error import SmartSimError

    model = exp.create_model("lonely", _app_settings(exp))
    _attach(model, tmp_path)
    with pytest.raises(SmartSimError, match="no database"):
        exp.start(model)
