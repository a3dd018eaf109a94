"""Model, Ensemble, strategies and DB objects: construction rules and errors (no processes)."""

from __future__ import annotations

import pytest

from smartsim.entity import DBModel, DBScript, Ensemble, Model
from smartsim.entity.model import cat_arg_and_value
from smartsim.entity.strategies import create_all_permutations, random_permutations, step_values
from smartsim.error import (
    EntityExistsError,
    SmartSimError,
    SSFileNotFoundError,
    SSUnsupportedError,
    UserStrategyError,
)
from smartsim.settings.base import RunSettings


@pytest.fixture
def rs() -> RunSettings:
    return RunSettings("echo", exe_args="hello")


def test_all_perm_step_and_random():
    names, values = ["a", "b"], [["1", "2"], ["x", "y"]]
    assert create_all_permutations(names, values) == [
        {"a": "1", "b": "x"},
        {"a": "1", "b": "y"},
        {"a": "2", "b": "x"},
        {"a": "2", "b": "y"},
    ]
    assert step_values(names, values) == [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]
    with pytest.raises(ValueError, match="same number of values"):
        step_values(names, [["1"], ["x", "y"]])
    sample = random_permutations(names, values, 2)
    assert len(sample) == 2 and all(p in create_all_permutations(names, values) for p in sample)


def test_ensemble_from_params_names_paths_and_prefixing(rs, tmp_path):
    ens = Ensemble("ens", {"a": [1, 2], "b": "z"}, path=str(tmp_path / "ens"), run_settings=rs)
    assert [m.name for m in ens] == ["ens_0", "ens_1"]
    assert [m.params for m in ens] == [{"a": "1", "b": "z"}, {"a": "2", "b": "z"}]
    assert ens.models[1].path == str(tmp_path / "ens" / "ens_1")
    assert all(m.query_key_prefixing() for m in ens)
    assert ens.models[0].run_settings is not rs


def test_ensemble_params_with_replicas_and_step(rs):
    ens = Ensemble("e", {"a": [1, 2], "b": [3, 4]}, run_settings=rs, perm_strat="step", replicas=2)
    assert [m.params for m in ens] == [{"a": "1", "b": "3"}] * 2 + [{"a": "2", "b": "4"}] * 2


def test_ensemble_user_strategy(rs):
    def only_first(names, values, n_models=0):
        return [{name: vals[0] for name, vals in zip(names, values, strict=True)}]

    ens = Ensemble("e", {"a": [1, 2]}, run_settings=rs, perm_strat=only_first)
    assert [m.params for m in ens] == [{"a": "1"}]
    with pytest.raises(UserStrategyError):
        Ensemble("e", {"a": [1]}, run_settings=rs, perm_strat=lambda *a: "nope")
    with pytest.raises(SSUnsupportedError, match="sometimes"):
        Ensemble("e", {"a": [1]}, run_settings=rs, perm_strat="sometimes")


def test_ensemble_rules_on_settings(rs):
    with pytest.raises(SmartSimError, match="neither params nor replicas"):
        Ensemble("e", {}, run_settings=rs)
    with pytest.raises(SmartSimError, match="no run_settings"):
        Ensemble("e", {"a": [1]})
    with pytest.raises(SmartSimError, match="needs run_settings or batch_settings"):
        Ensemble("e", {})
    with pytest.raises(TypeError, match="param 'a'"):
        Ensemble("e", {"a": {"x": 1}}, run_settings=rs)


def test_ensemble_add_model_and_duplicates(rs):
    ens = Ensemble("e", {}, run_settings=rs, replicas=1)
    ens.add_model(Model("extra", {}, rs))
    assert [m.name for m in ens] == ["e_0", "extra"]
    with pytest.raises(EntityExistsError):
        ens.add_model(Model("extra", {}, rs))
    with pytest.raises(TypeError):
        ens.add_model("not a model")  # type: ignore[arg-type]


def test_params_as_args(rs):
    model = Model(
        "m",
        {"steps": 10, "n": 2, "--dt": 0.1, "-v": "x"},
        rs,
        params_as_args=["steps", "n", "--dt", "-v"],
    )
    model.params_to_args()
    assert rs.exe_args == ["hello", "--steps=10", "-n", "2", "--dt=0.1", "-v", "x"]
    with pytest.raises(ValueError, match="missing"):
        Model("m", {}, rs, params_as_args=["missing"]).params_to_args()
    assert cat_arg_and_value("x", 1) == "-x 1"


def test_attach_files_missing_is_a_clear_error(rs, tmp_path):
    model = Model("m", {}, rs)
    with pytest.raises(SSFileNotFoundError, match="nope.txt"):
        model.attach_generator_files(to_copy=[str(tmp_path / "nope.txt")])
    with pytest.raises(FileNotFoundError):
        model.attach_generator_files(to_symlink=str(tmp_path / "nope.txt"))


def test_key_prefixing_and_incoming(rs):
    producer, consumer = Model("p", {}, rs), Model("c", {}, rs)
    consumer.register_incoming_entity(producer)
    with pytest.raises(EntityExistsError):
        consumer.register_incoming_entity(producer)
    assert not producer.query_key_prefixing()
    producer.enable_key_prefixing()
    assert producer.query_key_prefixing()
    producer.disable_key_prefixing()
    assert not producer.query_key_prefixing()


def test_colocation_is_recorded_and_validated(rs, tmp_path):
    model = Model("m", {}, rs)
    model.colocate_db_tcp(port=7000, ifname=["lo"], db_cpus=2, custom_pinning=[3, (0, 1)])
    assert model.colocated
    settings = model.colocated_db_settings
    assert settings["port"] == 7000 and settings["cpus"] == 2
    assert settings["custom_pinning"] == "0,1,3"
    assert rs.colocated_db_settings is settings
    with pytest.raises(ValueError, match="unix socket"):
        Model("u", {}, rs).colocate_db_uds(unix_socket="bad name!")
    with pytest.raises(ValueError, match="non-negative"):
        Model("u", {}, RunSettings("echo")).colocate_db_tcp(custom_pinning=[-1])
    with pytest.raises(SSUnsupportedError, match="limit_app_cpus"):
        Model("u", {}, RunSettings("echo")).colocate_db_tcp(limit_app_cpus=True)
    with pytest.raises(ValueError, match="port"):
        Model("u", {}, RunSettings("echo")).colocate_db_tcp(port=0)


def test_db_model_and_script_validation(tmp_path):
    model_file = tmp_path / "m.pt"
    model_file.write_bytes(b"x")
    assert DBModel("m", "torch", model_file=str(model_file)).backend == "TORCH"
    assert DBModel("m", "onnx", model=b"bytes").is_file is False
    with pytest.raises(ValueError, match="Backend"):
        DBModel("m", "caffe", model=b"x")
    with pytest.raises(ValueError, match="either"):
        DBModel("m", "TORCH")
    with pytest.raises(ValueError, match="not both"):
        DBModel("m", "TORCH", model=b"x", model_file=str(model_file))
    with pytest.raises(SSFileNotFoundError):
        DBModel("m", "TORCH", model_file=str(tmp_path / "none.pt"))
    with pytest.raises(ValueError, match="CPU or GPU"):
        DBModel("m", "TORCH", model=b"x", device="TPU")
    with pytest.raises(SSUnsupportedError, match="devices_per_node"):
        DBModel("m", "TORCH", model=b"x", device="CPU", devices_per_node=2)
    gpus = DBModel("m", "TORCH", model=b"x", device="GPU", devices_per_node=2, first_device=1)
    assert gpus.enumerate_devices() == ["GPU:1", "GPU:2"]
    with pytest.raises(ValueError, match="min_batch_size"):
        DBModel("m", "TORCH", model=b"x", min_batch_size=2)

    def add(x):
        return x + 1

    assert "return x + 1" in DBScript("f", add).source()
    with pytest.raises(ValueError, match="either"):
        DBScript("s")


def test_model_and_ensemble_ml_objects(rs):
    model = Model("m", {}, rs)
    model.add_ml_model("net", "TORCH", model=b"x")
    with pytest.raises(SSUnsupportedError, match="already attached"):
        model.add_ml_model("net", "TORCH", model=b"y")
    model.add_script("s", script="def f(x): return x")
    assert [m.name for m in model.db_models] == ["net"]
    assert [s.name for s in model.db_scripts] == ["s"]
    ens = Ensemble("e", {}, run_settings=rs, replicas=2)
    ens.add_ml_model("net", "ONNX", model=b"x")
    ens.add_model(Model("late", {}, rs))
    assert all([m.name for m in member.db_models] == ["net"] for member in ens)


def test_ensemble_scripts_and_functions_reach_every_member(rs):
    def double(x):
        return 2 * x

    ens = Ensemble("e", {}, run_settings=rs, replicas=2)
    ens.add_script("s", script="def f(x): return x")
    ens.add_function("fn", double)
    with pytest.raises(SSUnsupportedError, match="already attached to e"):
        ens.add_function("fn", double)
    ens.add_model(Model("late", {}, rs))
    assert [s.name for s in ens.db_scripts] == ["s", "fn"]
    assert all([s.name for s in member.db_scripts] == ["s", "fn"] for member in ens)
    assert len(ens) == 3
