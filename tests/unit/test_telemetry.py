"""The telemetry switch SmartSim scripts call: recorded, no monitor process."""

from smartsim import Experiment


def test_telemetry_switch(tmp_path):
    exp = Experiment("t", exp_path=str(tmp_path))
    assert not exp.telemetry.is_enabled
    exp.telemetry.enable()
    assert exp.telemetry.is_enabled
    exp.telemetry.disable()
    assert not exp.telemetry.is_enabled
    assert not exp.create_database().telemetry.is_enabled
