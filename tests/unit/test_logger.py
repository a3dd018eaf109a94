"""SmartRedis logging: levels, SR_LOG_FILE / SR_LOG_LEVEL, line format."""

from __future__ import annotations

import re

import pytest

import smartredis
from smartredis import LLDebug, LLDeveloper, LLInfo, LLQuiet, LogContext, log_data
from smartredis.error import RedisRuntimeError
from smartredis.logger import _LOGGER

LINE = re.compile(r"^ctx@\d\d-\d\d-\d\d:(.*)$")


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch):
    monkeypatch.delenv("SR_LOG_FILE", raising=False)
    monkeypatch.delenv("SR_LOG_LEVEL", raising=False)
    _LOGGER.reset()
    yield
    _LOGGER.reset()


def test_levels_are_smartredis_values():
    assert [int(x) for x in (LLQuiet, LLInfo, LLDebug, LLDeveloper)] == [1, 2, 3, 4]


def test_default_is_info_on_stdout(capsys):
    log_data("ctx", LLInfo, "shown")
    log_data("ctx", LLDebug, "hidden")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and LINE.match(lines[0]).group(1) == "shown"


def test_file_and_level(monkeypatch, tmp_path, capsys):
    path = tmp_path / "sr.log"
    monkeypatch.setenv("SR_LOG_FILE", str(path))
    monkeypatch.setenv("SR_LOG_LEVEL", "DEBUG")
    smartredis.log_warning("ctx", LLDebug, "careful")
    smartredis.log_error("ctx", LLInfo, "bad")
    log_data("ctx", LLDeveloper, "hidden")
    assert capsys.readouterr().out == ""
    lines = [LINE.match(line).group(1) for line in path.read_text().splitlines()]
    assert lines == ["WARNING: careful", "ERROR: bad"]


def test_quiet_still_logs_quiet_messages(monkeypatch, capsys):
    monkeypatch.setenv("SR_LOG_LEVEL", "quiet")
    log_data("ctx", LLInfo, "hidden")
    log_data("ctx", LLQuiet, "shown")
    assert LINE.match(capsys.readouterr().out.strip()).group(1) == "shown"


def test_bad_level_is_an_error(monkeypatch):
    monkeypatch.setenv("SR_LOG_LEVEL", "loud")
    with pytest.raises(RedisRuntimeError, match="SR_LOG_LEVEL='loud'"):
        log_data("ctx", LLInfo, "x")


def test_unwritable_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SR_LOG_FILE", str(tmp_path / "missing-dir" / "sr.log"))
    with pytest.raises(RedisRuntimeError, match="Cannot write to file"):
        log_data("ctx", LLInfo, "x")


def test_argument_types():
    with pytest.raises(TypeError):
        log_data("ctx", 2, "x")
    with pytest.raises(TypeError):
        log_data(1, LLInfo, "x")
    with pytest.raises(TypeError):
        log_data("ctx", LLInfo, 3)


def test_log_context_uses_its_name(capsys):
    LogContext("ctx").log_data(LLInfo, "from context")
    assert LINE.match(capsys.readouterr().out.strip()).group(1) == "from context"
