"""Model, Ensemble, strategies and DB objects: construction rules and errors (no processes)."""

from __future__ import annotations

import fractions
import os
import shutil
import tempfile
import typing as t

import pytest

from smartsim.entity import (
    DBModel,
    DBScript,
    Ensemble,
    EntityFiles,
    EntityList,
    EntitySequence,
    Model,
)
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
from smartsim.settings.slurmSettings import SbatchSettings


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


def test_model_params_are_str_or_numbers_stored_as_str(rs):
    model = Model("m", {"s": "x", "i": 3, "f": 0.5, "b": True, "q": fractions.Fraction(1, 3)}, rs)
    assert model.params == {"s": "x", "i": "3", "f": "0.5", "b": "True", "q": "1/3"}
    for bad in ([1, 2], {"a": 1}, None, b"bytes"):
        with pytest.raises(TypeError) as info:
            Model("m", {"p": bad}, rs)
        assert str(info.value) == (
            "Incorrect type for model parameters\nMust be numeric value or string."
        )


@pytest.mark.parametrize("kind", ["to_copy", "to_symlink", "to_configure"])
def test_smartsim_params_txt_is_refused_before_the_existence_check(rs, tmp_path, kind):
    model = Model("m", {}, rs)
    missing = str(tmp_path / "nowhere" / "smartsim_params.txt")
    for given in ([missing], missing):
        with pytest.raises(ValueError) as info:
            model.attach_generator_files(**{kind: given})
        assert str(info.value) == (
            "`smartsim_params.txt` is a file automatically generated by SmartSim and cannot "
            "be ovewritten."
        )
    assert model.files is None


def test_link_to_a_directory_inside_a_tagged_directory_is_refused_at_attach(rs, tmp_path):
    tagged = tmp_path / "tagged"
    (tagged / "deep" / "deeper").mkdir(parents=True)
    (tagged / "deep" / "deeper" / "in.cfg").write_text(";x;")
    (tagged / "deep" / "deeper" / "up").symlink_to(tmp_path)
    model = Model("m", {"x": 1}, rs)
    with pytest.raises(ValueError) as info:
        model.attach_generator_files(to_configure=[str(tagged)])
    assert str(info.value) == (
        "Tagged directories and thier subdirectories cannot be links to prevent circular "
        "directory structures"
    )
    (tagged / "deep" / "deeper" / "up").unlink()
    (tagged / "deep" / "linked.cfg").symlink_to(tagged / "deep" / "deeper" / "in.cfg")
    model.attach_generator_files(to_configure=[str(tagged)])  # a link to a file is fine
    assert model.files is not None and model.files.tagged == [str(tagged)]


def test_attached_file_types_are_checked_with_smartsim_messages(rs):
    with pytest.raises(TypeError, match="^Copyable files given were not of type list or str$"):
        Model("m", {}, rs).attach_generator_files(to_copy=("a",))
    with pytest.raises(TypeError, match="^Not all Symlink files were of type str$"):
        Model("m", {}, rs).attach_generator_files(to_symlink=["a", 1])


PLACEHOLDER = "/tmp/ssfiles_ABCDEFGH"

# SmartSim 0.8's tables (tabulate's "grid" format), with PLACEHOLDER for the files' directory.
FILES_TABLE = """\
+------------+-------------------------------+
| Strategy   | Files                         |
+============+===============================+
| Copy       | /tmp/ssfiles_ABCDEFGH/a.txt   |
+------------+-------------------------------+
| Symlink    | /tmp/ssfiles_ABCDEFGH/big.dat |
+------------+-------------------------------+
| Configure  | /tmp/ssfiles_ABCDEFGH/cfg     |
|            | /tmp/ssfiles_ABCDEFGH/c2.in   |
+------------+-------------------------------+"""

ENSEMBLE_TABLE = """\
+--------------+----------------------------------------------+
| Model name   | Files                                        |
+==============+==============================================+
| ens_0        | +------------+-----------------------------+ |
|              | | Strategy   | Files                       | |
|              | +============+=============================+ |
|              | | Copy       | /tmp/ssfiles_ABCDEFGH/a.txt | |
|              | +------------+-----------------------------+ |
+--------------+----------------------------------------------+
| ens_1        | No file attached to this model.              |
+--------------+----------------------------------------------+"""

NO_FILES_ENSEMBLE_TABLE = """\
+--------------+---------------------------------+
| Model name   | Files                           |
+==============+=================================+
| ens_0        | No file attached to this model. |
+--------------+---------------------------------+
| ens_1        | No file attached to this model. |
+--------------+---------------------------------+"""


@pytest.fixture
def files_dir() -> t.Iterator[str]:
    """A directory whose path has PLACEHOLDER's length, so the tables' widths are fixed."""
    path = tempfile.mkdtemp(prefix="ssfiles_", dir="/tmp")
    assert len(path) == len(PLACEHOLDER)
    os.mkdir(os.path.join(path, "cfg"))
    for name in ("a.txt", "big.dat", "c2.in", os.path.join("cfg", "c1.in")):
        with open(os.path.join(path, name), "w", encoding="utf-8") as handle:
            handle.write("x")
    yield path
    shutil.rmtree(path)


def test_attached_files_tables_as_smartsim_prints_them(rs, files_dir, capsys):
    model = Model("m", {"x": 1}, rs)
    assert model.attached_files_table == "No file attached to this model."
    model.attach_generator_files()
    assert model.attached_files_table == "No file attached to this entity."
    assert str(EntityFiles()) == "No file attached to this entity."
    model.attach_generator_files(
        to_copy=[f"{files_dir}/a.txt"],
        to_symlink=f"{files_dir}/big.dat",
        to_configure=[f"{files_dir}/cfg", f"{files_dir}/c2.in"],
    )
    expected = FILES_TABLE.replace(PLACEHOLDER, files_dir)
    assert model.attached_files_table == expected == str(model.files)
    model.print_attached_files()
    assert capsys.readouterr().out == expected + "\n"

    ens = Ensemble("ens", {}, run_settings=rs, replicas=2)
    assert ens.attached_files_table == NO_FILES_ENSEMBLE_TABLE
    ens.models[0].attach_generator_files(to_copy=[f"{files_dir}/a.txt"])
    expected = ENSEMBLE_TABLE.replace(PLACEHOLDER, files_dir)
    assert ens.attached_files_table == expected
    ens.print_attached_files()
    assert capsys.readouterr().out == expected + "\n"
    empty = Ensemble("empty", {}, batch_settings=SbatchSettings())
    assert empty.attached_files_table == "The ensemble is empty, no files to show."


@pytest.mark.parametrize("cls", [EntitySequence, EntityList])
def test_entity_sequences_are_abstract(cls, tmp_path):
    with pytest.raises(NotImplementedError):
        cls("group", str(tmp_path))


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
