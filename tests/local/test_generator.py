"""Generator on real files in tmp_path (smartsim._core.generation.generator)."""

from __future__ import annotations

import logging
import os
import re
import stat
import typing as t
from pathlib import Path

import pytest

from smartsim._core.generation.generator import Generator, format_params_entry
from smartsim.entity.ensemble import Ensemble
from smartsim.entity.model import Model
from smartsim.error import ParameterWriterError, SmartSimError, SSFileNotFoundError
from smartsim.settings.base import RunSettings

TEMPLATE = "thermo ;THERMO;\nrun ;STEPS;\n"


def make_model(path: Path, params: dict[str, t.Any] | None = None, name: str = "m") -> Model:
    """A Model whose directory is ``path``."""
    return Model(name, params or {}, RunSettings("echo"), path=str(path))


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (parents created) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def gen_path(tmp_path: Path) -> Path:
    return tmp_path / "exp"


@pytest.fixture
def warnings_log(caplog: pytest.LogCaptureFixture) -> t.Iterator[pytest.LogCaptureFixture]:
    """Capture the modelwriter's records (they propagate to the root logger, as caplog needs)."""
    with caplog.at_level(logging.WARNING, logger="smartsim._core.generation.modelwriter"):
        yield caplog


# -- copy and symlink ----------------------------------------------------------------------


def test_copy_file_and_nested_dir(tmp_path: Path, gen_path: Path) -> None:
    script = write(tmp_path / "src" / "sleep.py", "print('hi')\n")
    script.chmod(0o755)
    data = tmp_path / "src" / "data_dir"
    write(data / "top.txt", "top")
    write(data / "sub" / "deep" / "leaf.txt", "leaf")
    model = make_model(gen_path / "m")
    model.attach_generator_files(to_copy=[str(script), str(data)])

    Generator(str(gen_path)).generate_experiment(model)

    mdir = gen_path / "m"
    assert (mdir / "sleep.py").read_text() == "print('hi')\n"
    assert os.access(mdir / "sleep.py", os.X_OK)
    # SmartSim 0.8 merges a copied directory's contents into the entity directory.
    assert (mdir / "top.txt").read_text() == "top"
    assert (mdir / "sub" / "deep" / "leaf.txt").read_text() == "leaf"
    assert not (mdir / "data_dir").exists()


def test_symlink_file_and_dir(tmp_path: Path, gen_path: Path) -> None:
    big = write(tmp_path / "src" / "big.dat", "x" * 100)
    shared = tmp_path / "src" / "shared"
    write(shared / "a.txt", "a")
    model = make_model(gen_path / "m")
    model.attach_generator_files(to_symlink=[str(big), str(shared)])

    Generator(str(gen_path)).generate_experiment(model)

    for name, target in (("big.dat", big), ("shared", shared)):
        link = gen_path / "m" / name
        assert link.is_symlink()
        assert os.readlink(link) == str(target)
    assert (gen_path / "m" / "shared" / "a.txt").read_text() == "a"


def test_symlink_name_clash_is_a_clear_error(tmp_path: Path, gen_path: Path) -> None:
    copied = write(tmp_path / "one" / "a.txt", "1")
    linked = write(tmp_path / "two" / "a.txt", "2")
    model = make_model(gen_path / "m")
    model.attach_generator_files(to_copy=[str(copied)], to_symlink=[str(linked)])

    with pytest.raises(SmartSimError, match="a.txt"):
        Generator(str(gen_path)).generate_experiment(model)


# -- configure -----------------------------------------------------------------------------


def test_configure_several_params_and_tags_per_line(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.conf", "a=;a; b=;b; a again ;a;\nend ;b;")
    model = make_model(gen_path / "m", {"a": 1, "b": "two"})
    model.attach_generator_files(to_configure=[str(conf)])

    Generator(str(gen_path)).generate_experiment(model)

    assert (gen_path / "m" / "in.conf").read_text() == "a=1 b=two a again 1\nend two"
    assert conf.read_text() == "a=;a; b=;b; a again ;a;\nend ;b;"


def test_configure_keeps_file_mode(tmp_path: Path, gen_path: Path) -> None:
    script = write(tmp_path / "src" / "run.sh", "echo ;msg;\n")
    script.chmod(0o750)
    model = make_model(gen_path / "m", {"msg": "hi"})
    model.attach_generator_files(to_configure=[str(script)])

    Generator(str(gen_path)).generate_experiment(model)

    out = gen_path / "m" / "run.sh"
    assert out.read_text() == "echo hi\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o750


def test_custom_tag(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.conf", "x=@x@ y=;x; z=@@\n")
    model = make_model(gen_path / "m", {"x": 5})
    model.attach_generator_files(to_configure=[str(conf)])

    Generator(str(gen_path), tag="@").generate_experiment(model)

    assert (gen_path / "m" / "in.conf").read_text() == "x=5 y=;x; z=@@\n"


def test_unused_tag_left_alone_and_warned(
    tmp_path: Path, gen_path: Path, warnings_log: pytest.LogCaptureFixture
) -> None:
    conf = write(tmp_path / "src" / "in.conf", "a=;a;\nb=;missing;\n\nc=;missing;\n")
    model = make_model(gen_path / "m", {"a": 1})
    model.attach_generator_files(to_configure=[str(conf)])

    Generator(str(gen_path)).generate_experiment(model)

    assert (gen_path / "m" / "in.conf").read_text() == "a=1\nb=;missing;\n\nc=;missing;\n"
    warnings = [r.getMessage() for r in warnings_log.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'missing'" in warnings[0] and str(conf) in warnings[0] and "[2, 4]" in warnings[0]


def test_values_with_backslashes_written_literally(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.conf", "path = ;p;\nref = ;r;\n")
    params = {"p": r"C:\data\new\1", "r": r"\g<0>\\"}
    model = make_model(gen_path / "m", params)
    model.attach_generator_files(to_configure=[str(conf)])

    Generator(str(gen_path)).generate_experiment(model)

    expected = f"path = {params['p']}\nref = {params['r']}\n"
    assert (gen_path / "m" / "in.conf").read_text() == expected


def test_binary_file_copied_unchanged(tmp_path: Path, gen_path: Path) -> None:
    blob = tmp_path / "src" / "weights.bin"
    blob.parent.mkdir(parents=True)
    content = b"\x00\x01;a;\xff\xfe" * 10
    blob.write_bytes(content)
    model = make_model(gen_path / "m", {"a": 1})
    model.attach_generator_files(to_configure=[str(blob)])

    Generator(str(gen_path)).generate_experiment(model)

    assert (gen_path / "m" / "weights.bin").read_bytes() == content


def test_tagged_directory_keeps_its_hierarchy(tmp_path: Path, gen_path: Path) -> None:
    tagged = tmp_path / "src" / "tag_dir"
    write(tagged / "top.in", "top ;P0;")
    write(tagged / "nested_0" / "tagged_0.sh", 'echo "p0 = ;P0;"\n')
    write(tagged / "nested_1" / "deeper" / "tagged_1.sh", 'echo "p1 = ;P1;"\n')
    (tagged / "empty").mkdir()
    model = make_model(gen_path / "m", {"P0": 0, "P1": 2})
    model.attach_generator_files(to_configure=[str(tagged)])

    Generator(str(gen_path)).generate_experiment(model)

    # As SmartSim's TaggedFilesHierarchy: the directory's contents land in the model's
    # directory, its subdirectories below that.
    mdir = gen_path / "m"
    assert (mdir / "top.in").read_text() == "top 0"
    assert (mdir / "nested_0" / "tagged_0.sh").read_text() == 'echo "p0 = 0"\n'
    assert (mdir / "nested_1" / "deeper" / "tagged_1.sh").read_text() == 'echo "p1 = 2"\n'
    assert (mdir / "empty").is_dir()
    assert not (mdir / "tag_dir").exists()


LINKED_DIR = "Tagged directories and thier subdirectories cannot be links"


def test_tagged_dir_with_link_to_dir_is_refused(tmp_path: Path, gen_path: Path) -> None:
    tagged = tmp_path / "src" / "tag_dir"
    write(tagged / "sub" / "a.in", ";a;")
    (tagged / "sub" / "loop").symlink_to(tagged)
    model = make_model(gen_path / "m", {"a": 1})

    with pytest.raises(ValueError, match=LINKED_DIR):  # at attach time, as SmartSim
        model.attach_generator_files(to_configure=[str(tagged)])

    (tagged / "sub" / "loop").unlink()
    model.attach_generator_files(to_configure=[str(tagged)])
    (tagged / "loop").symlink_to(tagged)  # made after attaching: refused when configuring
    with pytest.raises(ValueError, match=LINKED_DIR):
        Generator(str(gen_path)).generate_experiment(model)


# -- errors from attached files ------------------------------------------------------------


def test_missing_file_fails_at_attach(tmp_path: Path) -> None:
    model = make_model(tmp_path / "m", {"a": 1})
    with pytest.raises(SSFileNotFoundError, match="no_such.in"):
        model.attach_generator_files(to_configure=[str(tmp_path / "no_such.in")])


def test_unreadable_tagged_file(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.conf", ";a;")
    model = make_model(gen_path / "m", {"a": 1})
    model.attach_generator_files(to_configure=[str(conf)])
    conf.unlink()
    conf.symlink_to(tmp_path / "gone")  # broken after attaching: cannot be read

    with pytest.raises(ParameterWriterError, match="could not read") as info:
        Generator(str(gen_path)).generate_experiment(model)
    assert str(conf) in str(info.value)


def test_unwritable_output(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.conf", ";a;")
    blocker = tmp_path / "copied"
    write(blocker / "in.conf" / "x", "a directory where the configured file should go")
    model = make_model(gen_path / "m", {"a": 1})
    model.attach_generator_files(to_copy=[str(blocker)], to_configure=[str(conf)])

    with pytest.raises(ParameterWriterError, match="could not write") as info:
        Generator(str(gen_path)).generate_experiment(model)
    assert str(gen_path / "m" / "in.conf") in str(info.value)


# -- directories and overwrite -------------------------------------------------------------


def test_gen_path_created_with_parents(tmp_path: Path) -> None:
    gen_path = tmp_path / "a" / "b" / "exp"
    Generator(str(gen_path)).generate_experiment(make_model(gen_path / "m"))
    assert (gen_path / "m").is_dir()


def test_gen_path_that_is_a_file(tmp_path: Path) -> None:
    gen_path = write(tmp_path / "exp", "not a directory")
    with pytest.raises(FileExistsError, match=re.escape(str(gen_path))) as info:
        Generator(str(gen_path)).generate_experiment(make_model(tmp_path / "m"))
    assert isinstance(info.value, SmartSimError)


def test_existing_dir_without_overwrite(gen_path: Path) -> None:
    model = make_model(gen_path / "m")
    Generator(str(gen_path)).generate_experiment(model)

    with pytest.raises(FileExistsError, match="overwrite=True") as info:
        Generator(str(gen_path)).generate_experiment(model)
    assert isinstance(info.value, SmartSimError)
    assert "Model 'm'" in str(info.value) and str(gen_path / "m") in str(info.value)


def test_refused_generation_writes_nothing(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.conf", "v=;v;")
    old = make_model(gen_path / "old", {"v": 1}, name="old")
    old.attach_generator_files(to_configure=[str(conf)])
    Generator(str(gen_path)).generate_experiment(old)
    record = (gen_path / "smartsim_params.txt").read_text()
    new = make_model(gen_path / "new", name="new")

    with pytest.raises(FileExistsError, match="'old'"):
        Generator(str(gen_path)).generate_experiment(new, old)

    assert not (gen_path / "new").exists()
    assert (gen_path / "smartsim_params.txt").read_text() == record


def test_existing_dir_with_overwrite(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.conf", "v=;v;")
    model = make_model(gen_path / "m", {"v": 1})
    model.attach_generator_files(to_configure=[str(conf)])
    Generator(str(gen_path)).generate_experiment(model)
    write(gen_path / "m" / "stale.out", "old output")
    model.params["v"] = 2

    Generator(str(gen_path), overwrite=True).generate_experiment(model)

    assert not (gen_path / "m" / "stale.out").exists()
    assert (gen_path / "m" / "in.conf").read_text() == "v=2"


def test_overwrite_refuses_a_dir_holding_the_current_one(
    gen_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(gen_path / "m")
    Generator(str(gen_path)).generate_experiment(model)
    monkeypatch.chdir(gen_path / "m")
    with pytest.raises(SmartSimError, match="Refusing to remove.*current directory"):
        Generator(str(gen_path), overwrite=True).generate_experiment(model)
    assert (gen_path / "m").is_dir()


def test_model_given_another_path_is_generated_in_the_experiment(
    tmp_path: Path, gen_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    conf = write(tmp_path / "src" / "in.conf", "v=;v;")
    model = make_model(Path("./model-folder"), {"v": 3}, name="model-name")
    model.attach_generator_files(to_configure=[str(conf)])

    Generator(str(gen_path)).generate_experiment(model)

    assert (gen_path / "model-name" / "in.conf").read_text() == "v=3"
    assert (gen_path / "model-name" / "smartsim_params.txt").is_file()
    assert model.path == str(gen_path / "model-name")
    assert not (tmp_path / "model-folder").exists()


def test_ensemble_layout_and_member_params(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.atm", TEMPLATE)
    ensemble = Ensemble(
        "ens",
        {"THERMO": [10, 20], "STEPS": [5, 6]},
        path=str(gen_path / "ens"),
        run_settings=RunSettings("echo"),
    )
    ensemble.attach_generator_files(to_configure=[str(conf)])

    Generator(str(gen_path)).generate_experiment(ensemble)

    expected = [("10", "5"), ("10", "6"), ("20", "5"), ("20", "6")]
    for i, (thermo, steps) in enumerate(expected):
        member_dir = gen_path / "ens" / f"ens_{i}"
        assert (member_dir / "in.atm").read_text() == f"thermo {thermo}\nrun {steps}\n"
        assert (member_dir / "smartsim_params.txt").is_file()
    assert sorted(os.listdir(gen_path / "ens")) == [f"ens_{i}" for i in range(4)]


def test_existing_ensemble_dir_is_kept_without_overwrite(gen_path: Path) -> None:
    ensemble = Ensemble(
        "ens", {}, path=str(gen_path / "ens"), run_settings=RunSettings("echo"), replicas=2
    )
    write(gen_path / "ens" / "notes.txt", "mine")

    Generator(str(gen_path)).generate_experiment(ensemble)
    assert (gen_path / "ens" / "notes.txt").read_text() == "mine"
    assert (gen_path / "ens" / "ens_1").is_dir()

    with pytest.raises(FileExistsError, match="ens_0"):
        Generator(str(gen_path)).generate_experiment(ensemble)
    Generator(str(gen_path), overwrite=True).generate_experiment(ensemble)
    assert not (gen_path / "ens" / "notes.txt").exists()


class _ShardedEntity:
    """A stand-in for an Orchestrator: a named directory with a set_path."""

    type = "Orchestrator"

    def __init__(self, path: str) -> None:
        self.name = "orchestrator"
        self.path = path
        self.set_path_calls: list[str] = []

    def set_path(self, path: str) -> None:
        self.path = path
        self.set_path_calls.append(path)


def test_orchestrator_dir_is_in_the_experiment_and_emptied_only_with_overwrite(
    tmp_path: Path, gen_path: Path
) -> None:
    orc = _ShardedEntity(str(tmp_path / "elsewhere"))
    write(gen_path / "orchestrator" / "orchestrator_0.out", "old")

    Generator(str(gen_path)).generate_experiment(orc)
    assert os.listdir(gen_path / "orchestrator") == ["orchestrator_0.out"]
    assert orc.set_path_calls == [str(gen_path / "orchestrator")]
    assert not (tmp_path / "elsewhere").exists()

    Generator(str(gen_path), overwrite=True).generate_experiment(orc)
    assert os.listdir(gen_path / "orchestrator") == []


def test_unknown_object_rejected(gen_path: Path) -> None:
    with pytest.raises(TypeError, match="Cannot generate"):
        Generator(str(gen_path)).generate_experiment("model")


# -- smartsim_params.txt -------------------------------------------------------------------

# The layout SmartSim 0.8 writes (tests/test_configs/generator_files/log_params).
EXPECTED_MEMBER_ENTRY = """\
Model name: dir_test_1
File name                   Parameters
--------------------------  ---------------
dir_test/dir_test_1/in.atm  Name      Value
                            ------  -------
                            THERMO       10
                            STEPS        20

"""


def test_params_files_content(tmp_path: Path, gen_path: Path) -> None:
    conf = write(tmp_path / "src" / "in.atm", TEMPLATE)
    ensemble = Ensemble(
        "dir_test",
        {"THERMO": [10, 20], "STEPS": [10, 20]},
        path=str(gen_path / "dir_test"),
        run_settings=RunSettings("echo"),
    )
    ensemble.attach_generator_files(to_configure=[str(conf)])
    plain = make_model(gen_path / "plain")

    Generator(str(gen_path)).generate_experiment(ensemble, plain)

    assert (gen_path / "dir_test" / "dir_test_1" / "smartsim_params.txt").read_text() == (
        EXPECTED_MEMBER_ENTRY
    )
    lines = (gen_path / "smartsim_params.txt").read_text().split("\n")
    assert re.fullmatch(r"Generation start date and time: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d", lines[0])
    body = "\n".join(lines[1:])
    assert body.count("Model name: ") == 4
    assert EXPECTED_MEMBER_ENTRY in body
    assert not (gen_path / "plain" / "smartsim_params.txt").exists()


def test_params_file_restarted_each_generation(gen_path: Path) -> None:
    Generator(str(gen_path)).generate_experiment(make_model(gen_path / "a", name="a"))
    Generator(str(gen_path)).generate_experiment(make_model(gen_path / "b", name="b"))
    text = (gen_path / "smartsim_params.txt").read_text()
    assert text.count("Generation start date and time") == 1


def test_format_params_entry_skips_files_without_params(tmp_path: Path) -> None:
    entry = format_params_entry(
        "m",
        {str(tmp_path / "m" / "a.in"): {"x": "1"}, str(tmp_path / "m" / "b.in"): {}},
        str(tmp_path),
    )
    assert entry.startswith("Model name: m\n")
    assert "m/a.in" in entry and "b.in" not in entry
