"""smartsim._core.config.CONFIG and smartsim._core.utils.installed_redisai_backends: the names
SmartSim 0.8 scripts import, answering what this library uses."""

from __future__ import annotations

import sys

import pytest

from smartsim._core import utils
from smartsim._core.config import CONFIG, find_ai_module, find_database_exe
from smartsim._core.utils import helpers, installed_redisai_backends
from smartsim.error import SSConfigError


def test_config_reads_the_environment_when_asked(monkeypatch):
    monkeypatch.setenv("SMARTSIM_JM_INTERVAL", "0.25")
    monkeypatch.setenv("SMARTSIM_LOG_LEVEL", "DEBUG")
    assert CONFIG.jm_interval == 0.25 and CONFIG.log_level == "debug"
    monkeypatch.delenv("SMARTSIM_JM_INTERVAL")
    assert CONFIG.jm_interval == 10.0
    assert CONFIG.database_exe == find_database_exe()
    monkeypatch.delenv("SMARTSIM_FLAG_TELEMETRY", raising=False)
    monkeypatch.delenv("SMARTSIM_TELEMETRY_FREQUENCY", raising=False)
    assert CONFIG.telemetry_enabled is True  # SmartSim 0.8's default: telemetry files written
    monkeypatch.setenv("SMARTSIM_FLAG_TELEMETRY", "0")
    assert CONFIG.telemetry_enabled is False
    assert (CONFIG.telemetry_frequency, CONFIG.telemetry_subdir) == (5, ".smartsim/telemetry")


def test_redisai_is_the_ai_module(monkeypatch):
    module = find_ai_module()
    if module.path is not None:
        assert CONFIG.redisai == module.path
    monkeypatch.setenv("SMARTSIM_AI_MODULE", "off")
    with pytest.raises(SSConfigError, match="turned it off"):
        _ = CONFIG.redisai


def test_test_settings_have_smartsim_defaults(monkeypatch):
    for name in ("LAUNCHER", "DEVICE", "NUM_GPUS", "PORT", "ACCOUNT", "INTERFACE"):
        monkeypatch.delenv(f"SMARTSIM_TEST_{name}", raising=False)
    assert (CONFIG.test_launcher, CONFIG.test_device, CONFIG.test_num_gpus) == ("local", "CPU", 1)
    assert (CONFIG.test_port, CONFIG.test_account, CONFIG.wlm_trials) == (6780, None, 10)
    assert isinstance(CONFIG.test_interface, list)
    monkeypatch.setenv("SMARTSIM_TEST_INTERFACE", "ib0,ib1")
    assert CONFIG.test_interface == ["ib0", "ib1"]


def test_installed_backends_are_the_importable_frameworks(tmp_path, monkeypatch):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch could not be imported
    found = installed_redisai_backends()
    assert "tensorflow" in found and "torch" not in found
    assert found <= {"tensorflow", "torch", "onnxruntime"}
    assert utils.installed_redisai_backends is helpers.installed_redisai_backends
    assert installed_redisai_backends("/any/backends/dir") == found  # SmartSim's argument
