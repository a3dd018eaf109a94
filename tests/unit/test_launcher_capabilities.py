"""Launcher capabilities are class attributes; the controller, previews and teardown ask them."""

from __future__ import annotations

import pytest

from smartsim import Experiment
from smartsim._core import teardown
from smartsim._core.control.jobrecord import JobEntry, append
from smartsim._core.launcher import _LAUNCHERS, launcher_class
from smartsim._core.launcher.base import Launcher
from smartsim._core.launcher.local.launcher import LocalLauncher
from smartsim._core.launcher.wlm import WLMLauncher
from smartsim.error import SSUnsupportedError
from smartsim.settings import (
    AprunSettings,
    BsubBatchSettings,
    DragonRunSettings,
    JsrunSettings,
    MpiexecSettings,
    MpirunSettings,
    OrterunSettings,
    PalsMpiexecSettings,
    QsubBatchSettings,
    RunSettings,
    SbatchSettings,
    SrunSettings,
)
from smartsim.status import SmartSimStatus


@pytest.mark.parametrize("name", sorted(_LAUNCHERS))
def test_batch_capability_matches_submit_batch(name: str) -> None:
    found = launcher_class(name)
    assert found is not None
    assert found.runs_batch_jobs == (found.submit_batch is not Launcher.submit_batch)


def test_unknown_and_settings_only_launchers_have_no_class() -> None:
    assert launcher_class("sge") is None and launcher_class("nope") is None


@pytest.mark.parametrize("name", ["local", "dragon"])
def test_batch_settings_are_refused_before_anything_starts(name: str, tmp_path) -> None:
    exp = Experiment("e", exp_path=str(tmp_path), launcher=name)
    model = exp.create_model(
        "batched", exp.create_run_settings("true"), batch_settings=SbatchSettings(nodes=1)
    )
    with pytest.raises(SSUnsupportedError, match=f"which the {name} launcher cannot run"):
        exp.start(model)


@pytest.mark.parametrize(("name", "shown"), [("local", True), ("slurm", False), ("sge", False)])
def test_preview_shows_launch_commands_only_when_argv_needs_no_scheduler(
    name: str, shown: bool, tmp_path, capsys
) -> None:
    exp = Experiment("e", exp_path=str(tmp_path), launcher=name)
    model = exp.create_model("m", exp.create_run_settings("echo", run_command=""))
    exp.preview(model, verbosity_level="developer")
    assert ("Launch Command:" in capsys.readouterr().out) == shown


def test_teardown_cancels_through_the_scheduler_only_for_wlm_launchers(
    tmp_path, monkeypatch
) -> None:
    asked: dict[str, list[str]] = {}

    def cancel_leftovers(self: WLMLauncher, keys: list[str]) -> list[str]:
        asked[self.name] = keys
        return keys

    monkeypatch.setattr(WLMLauncher, "cancel_leftovers", cancel_leftovers)
    entries = [
        JobEntry(name, "Model", launcher, job_id, "elsewhere", 0.0)
        for name, launcher, job_id in [
            ("a", "pbs", "7.fakepbs"),
            ("b", "slurm", "8.step"),
            ("c", "slurm", "local:99999999"),
            ("d", "dragon", "puid-1"),
            ("e", "sge", "9"),
            ("f", "local", "99999999"),
        ]
    ]
    append(str(tmp_path), entries)
    stopped = teardown.teardown(str(tmp_path))
    assert asked == {"pbs": ["7.fakepbs"], "slurm": ["8.step"]}
    assert sorted(entry.name for entry in stopped) == ["a", "b"]


# ---- settings each launcher runs (SmartSim's supported_rs maps) -----------------------

_SETTINGS_BY_LAUNCHER = {
    "slurm": {
        RunSettings, MpirunSettings, MpiexecSettings, OrterunSettings, SrunSettings,
        SbatchSettings,
    },
    "pbs": {
        RunSettings, MpirunSettings, MpiexecSettings, OrterunSettings, AprunSettings,
        PalsMpiexecSettings, QsubBatchSettings,
    },
    "lsf": {
        RunSettings, MpirunSettings, MpiexecSettings, OrterunSettings, JsrunSettings,
        BsubBatchSettings,
    },
    "dragon": {RunSettings, DragonRunSettings, SbatchSettings, QsubBatchSettings},
}  # fmt: skip
_SETTINGS_BY_LAUNCHER["pals"] = _SETTINGS_BY_LAUNCHER["pbs"]


@pytest.mark.parametrize("name", sorted(_SETTINGS_BY_LAUNCHER))
def test_workload_launchers_run_exactly_smartsims_settings_classes(name: str) -> None:
    found = launcher_class(name)
    assert found is not None
    assert set(found.supported_settings) == _SETTINGS_BY_LAUNCHER[name]


class _MySettings(RunSettings):
    """A user's subclass: SmartSim matches settings classes exactly, so it is refused."""


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("slurm", JsrunSettings("true")),
        ("slurm", AprunSettings("true")),
        ("lsf", SrunSettings("true")),
        ("pbs", DragonRunSettings("true")),
        ("dragon", SrunSettings("true")),
        ("slurm", _MySettings("true")),
    ],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
def test_settings_a_launcher_does_not_run_are_refused_before_anything_starts(
    name: str, settings: RunSettings, tmp_path
) -> None:
    exp = Experiment("e", exp_path=str(tmp_path), launcher=name)
    fine = exp.create_model("fine", RunSettings("true"))
    refused = exp.create_model("refused", settings)
    with pytest.raises(SSUnsupportedError) as raised:
        exp.start(fine, refused)
    assert str(raised.value) == (
        f"RunSettings type {type(settings)} not supported by this launcher"
    )
    assert exp._control.jobs() == []
    assert not (tmp_path / "fine").exists()


def test_batch_settings_of_another_scheduler_are_refused(tmp_path) -> None:
    exp = Experiment("e", exp_path=str(tmp_path), launcher="pbs")
    model = exp.create_model("m", RunSettings("true"), batch_settings=SbatchSettings(nodes=1))
    with pytest.raises(SSUnsupportedError, match="SbatchSettings'> not supported by this"):
        exp.start(model)
    assert exp._control.jobs() == []


def test_local_launcher_runs_any_run_settings_as_a_local_process(tmp_path) -> None:
    exp = Experiment("e", exp_path=str(tmp_path), launcher="local")
    model = exp.create_model("m", _MySettings("echo", exe_args=["hi"]))
    exp.start(model, block=True)
    assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED]
    assert (tmp_path / "m" / "m.out").read_text() == "hi\n"
    for settings in (SrunSettings("true"), JsrunSettings("true"), DragonRunSettings("true")):
        LocalLauncher.check_settings(settings)  # srun, jsrun... run as local processes
