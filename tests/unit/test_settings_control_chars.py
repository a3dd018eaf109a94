"""Run and batch arguments refuse control characters, which could add lines to a batch script."""

from __future__ import annotations

import copy

import pytest

from smartsim.settings import (
    AprunSettings,
    BsubBatchSettings,
    JsrunSettings,
    MpirunSettings,
    PalsMpiexecSettings,
    QsubBatchSettings,
    RunSettings,
    SbatchSettings,
    SgeQsubBatchSettings,
    SrunSettings,
)
from smartsim.settings.settings import create_batch_settings

INJECTION = "x\ntouch INJECTED"
BATCH_CLASSES = [SbatchSettings, QsubBatchSettings, BsubBatchSettings, SgeQsubBatchSettings]
RUN_CLASSES = [RunSettings, SrunSettings, MpirunSettings, AprunSettings, JsrunSettings,
               PalsMpiexecSettings]  # fmt: skip


def _script(settings) -> str:
    return settings.render_script("job", "/tmp/job.out", "/tmp/job.err", [["true"]])


@pytest.mark.parametrize("launcher", ["slurm", "pbs", "lsf", "sge"])
def test_account_with_a_newline_is_refused(launcher: str) -> None:
    with pytest.raises(ValueError, match="control characters") as info:
        create_batch_settings(launcher, account=INJECTION)
    assert repr(INJECTION) in str(info.value)


@pytest.mark.parametrize("launcher", ["slurm", "pbs", "lsf", "sge"])
@pytest.mark.parametrize("field", ["queue", "time"])
def test_queue_and_time_with_a_newline_are_refused(launcher: str, field: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        create_batch_settings(launcher, **{field: INJECTION})


@pytest.mark.parametrize("cls", BATCH_CLASSES)
@pytest.mark.parametrize("bad", ["x\ny", "x\ry", "x\x00y", "x\ty", "x\x7fy", "x\x85y"])
def test_batch_args_refuse_control_characters_in_names_and_values(cls, bad: str) -> None:
    settings = cls(nodes=1)
    with pytest.raises(ValueError, match="control characters"):
        settings.batch_args["comment"] = bad
    with pytest.raises(ValueError, match="control characters"):
        settings.batch_args[bad] = "ok"
    with pytest.raises(ValueError, match="control characters"):
        settings.batch_args.update(comment=bad)
    with pytest.raises(ValueError, match="control characters"):
        settings.batch_args |= {"comment": bad}
    with pytest.raises(ValueError, match="control characters"):
        settings.batch_args = {"comment": bad}
    with pytest.raises(ValueError, match="control characters"):
        cls(batch_args={"comment": bad})
    assert "touch" not in _script(settings) and "comment" not in settings.batch_args


@pytest.mark.parametrize("cls", RUN_CLASSES)
def test_run_args_refuse_control_characters(cls) -> None:
    settings = cls("echo")
    with pytest.raises(ValueError, match="run argument 'comment'"):
        settings.set("comment", INJECTION)
    with pytest.raises(ValueError, match="control characters"):
        settings.run_args["comment"] = INJECTION
    with pytest.raises(ValueError, match="control characters"):
        settings.run_args.setdefault("comment", INJECTION)
    with pytest.raises(ValueError, match="control characters"):
        cls("echo", run_args={"comment": INJECTION})
    assert "comment" not in settings.run_args


def test_checked_args_survive_copies_and_still_check() -> None:
    settings = SbatchSettings(nodes=2, batch_args={"exclusive": None})
    clone = copy.deepcopy(settings)
    assert clone.batch_args == {"nodes": "2", "exclusive": None}
    with pytest.raises(ValueError, match="control characters"):
        clone.batch_args["comment"] = INJECTION


def test_directives_from_names_and_paths_are_checked_too() -> None:
    settings = SbatchSettings(nodes=1)
    with pytest.raises(ValueError, match="A directive of batch job"):
        settings.render_script("job", "/tmp/a\ntouch INJECTED", "/tmp/job.err", [["true"]])
    lsf = BsubBatchSettings(nodes=1)
    lsf.set_account(INJECTION)  # LSF keeps the project outside batch_args: seen at render
    with pytest.raises(ValueError, match="control characters"):
        _script(lsf)


def test_ordinary_values_still_render() -> None:
    settings = SbatchSettings(nodes=2, account="proj-1", batch_args={"comment": "a b;c'd"})
    assert "#SBATCH --comment=a b;c'd" in _script(settings)
