"""DragonRunSettings: what the Dragon launcher reads from run_args."""

from __future__ import annotations

import sys

import pytest

from smartsim.settings import DragonRunSettings, RunSettings

EXE = sys.executable


def test_no_run_command():
    rs = DragonRunSettings(EXE, ["-c", "pass"], env_vars={"A": "1"})
    assert isinstance(rs, RunSettings)
    assert rs.run_command is None
    assert rs.exe_args == ["-c", "pass"]
    assert rs.env_vars == {"A": "1"}


def test_run_args_can_be_given():
    rs = DragonRunSettings(EXE, run_args={"nodes": 2})
    assert rs.run_args == {"nodes": 2}


@pytest.mark.parametrize(
    "setter, value, key, recorded",
    [
        ("set_nodes", 2, "nodes", 2),
        ("set_tasks_per_node", 4, "tasks-per-node", 4),
        ("set_node_feature", "gpu", "node-feature", "gpu"),
        ("set_node_feature", " gpu  fast ", "node-feature", "gpu,fast"),
        ("set_node_feature", ["gpu", "fast"], "node-feature", "gpu,fast"),
        ("set_cpu_affinity", [0, 1, 2], "cpu-affinity", "0,1,2"),
        ("set_gpu_affinity", [3], "gpu-affinity", "3"),
    ],
)
def test_setters_record_run_args(setter, value, key, recorded):
    rs = DragonRunSettings(EXE)
    getattr(rs, setter)(value)
    assert rs.run_args == {key: recorded}


@pytest.mark.parametrize("bad", [["gpu", 1], 5])
def test_node_feature_type_error(bad):
    with pytest.raises(TypeError):
        DragonRunSettings(EXE).set_node_feature(bad)


def test_format_run_args_is_the_generic_one():
    rs = DragonRunSettings(EXE)
    rs.set_nodes(2)
    rs.set_gpu_affinity([0, 1])
    assert rs.format_run_args() == ["nodes", "2", "gpu-affinity", "0,1"]
