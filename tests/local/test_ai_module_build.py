"""pip install builds the smartsim-ai module with the machine's C compiler; without one the
package still installs, and the reason reaches `smart info` and the database's output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from smartsim._core import aimodule, config

ROOT = Path(__file__).resolve().parents[2]


def _source_copy(tmp_path: Path) -> Path:
    """The project's sources in a temporary directory (the build writes next to them)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("smartsim", "smartredis"):
        shutil.copytree(
            ROOT / package,
            src / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "build-error.txt"),
        )
    return src


def _wheel(tmp_path: Path, env: dict[str, str]) -> zipfile.ZipFile:
    src = _source_copy(tmp_path)
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(src)],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def test_the_wheel_carries_the_built_module(tmp_path):
    names = _wheel(tmp_path, dict(os.environ)).namelist()
    assert "smartsim/_core/aimodule/libsmartsim_ai.so" in names
    assert "smartsim/_core/aimodule/build-error.txt" not in names


def test_without_a_compiler_the_package_installs_and_says_why(tmp_path):
    env = dict(os.environ, CC=str(tmp_path / "no-such-cc"))
    wheel = _wheel(tmp_path, env)
    names = wheel.namelist()
    assert "smartsim/_core/aimodule/libsmartsim_ai.so" not in names
    reason = wheel.read("smartsim/_core/aimodule/build-error.txt").decode()
    assert "no-such-cc" in reason


def test_the_recorded_reason_is_what_the_driver_reports(tmp_path, monkeypatch):
    missing = tmp_path / "libsmartsim_ai.so"
    error = tmp_path / "build-error.txt"
    error.write_text("building the smartsim-ai module failed: gcc: not found\n")
    monkeypatch.setattr(aimodule, "LIBRARY", str(missing))
    monkeypatch.setattr(aimodule, "BUILD_ERROR", str(error))
    monkeypatch.delenv("SMARTSIM_AI_MODULE", raising=False)
    found = config.find_ai_module()
    assert found.path is None
    assert "gcc: not found" in found.reason


def test_an_explicit_module_path_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTSIM_AI_MODULE", str(tmp_path / "nope.so"))
    with pytest.raises(config.SSConfigError, match="nope.so"):
        config.find_ai_module()


def test_smart_info_names_the_module():
    out = subprocess.run(
        [sys.executable, "-m", "smartsim._core.cli", "info"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "SMARTSIM_AI_MODULE": "off"},
    ).stdout  # fmt: skip
    assert "AI commands: unavailable" in out and "SMARTSIM_AI_MODULE=off" in out
