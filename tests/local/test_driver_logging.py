"""The library's log records reach a driver's own logging configuration (as any library's
do), and SmartSim's stdout output appears only when the driver configured none. Each case is
a driver script run in its own interpreter, where logging starts unconfigured."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# A real library message: create_run_settings warns about keywords it does not know.
WARN = (
    "from smartsim import Experiment\n"
    "Experiment('e', exp_path=sys.argv[1]).create_run_settings('echo', exec_args=['x'])\n"
)


def _driver(tmp_path, body: str, level: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SMARTSIM_LOG_LEVEL"}
    if level is not None:
        env["SMARTSIM_LOG_LEVEL"] = level
    return subprocess.run(
        [sys.executable, "-c", "import logging, sys\n" + body, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )


@pytest.mark.parametrize("configured", ["before", "after"])
def test_basic_config_receives_the_library_records_and_nothing_is_doubled(tmp_path, configured):
    config = "logging.basicConfig(stream=sys.stderr, format='USER %(name)s: %(message)s')\n"
    body = config + WARN if configured == "before" else WARN.replace("\n", "\n" + config, 1)
    done = _driver(tmp_path, body)
    lines = [line for line in done.stderr.splitlines() if "exec_args" in line]
    assert len(lines) == 1 and lines[0].startswith("USER smartsim."), done.stderr
    assert "exec_args" not in done.stdout  # SmartSim's own output stays out of the way


def test_the_driver_handles_the_library_logger_like_any_other(tmp_path):
    body = (
        "records = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record): records.append(record)\n"
        "logging.getLogger().addHandler(Keep())\n"
        "logging.getLogger('smartsim').setLevel(logging.DEBUG)\n"
        "from smartsim.log import get_logger\n"
        "get_logger('smartsim.demo').debug('fine detail')\n"
        "print([(r.name, r.levelname, r.getMessage()) for r in records])\n"
    )
    done = _driver(tmp_path, body)
    assert done.stdout.strip() == "[('smartsim.demo', 'DEBUG', 'fine detail')]"


def test_without_configuration_smartsim_prints_its_format_on_stdout(tmp_path):
    done = _driver(tmp_path, WARN)
    lines = [line for line in done.stdout.splitlines() if "exec_args" in line]
    assert len(lines) == 1 and " WARNING " in lines[0] and "smartsim.settings" in lines[0]
    assert "exec_args" not in done.stderr  # not also through logging's last resort


def test_smartsim_log_level_still_sets_the_level(tmp_path):
    body = "from smartsim.log import get_logger\nget_logger('smartsim.demo').info('shown?')\n"
    assert "shown?" in _driver(tmp_path, body).stdout
    assert "shown?" not in _driver(tmp_path, body, level="quiet").stdout
