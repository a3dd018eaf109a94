"""Experiment rules kept from SmartSim 0.8 with real processes: database identifiers, poll
without running entities, and where generate puts each entity."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.error import SmartSimError, SSDBIDConflictError
from smartsim.status import SmartSimStatus

CONFLICT = (
    "Database identifier {} has already been used. Pass in a unique name for db_identifier"
)


@pytest.fixture
def exp(tmp_path: Path):
    experiment = Experiment("rules", exp_path=str(tmp_path), launcher="local")
    yield experiment
    experiment._control.stop_all()


def test_repeated_db_identifier_is_warned_then_refused_at_start(exp, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="smartsim.experiment"):
        first = exp.create_database(port=find_free_ports(1), interface="lo")
        assert not caplog.records
        second = exp.create_database(port=find_free_ports(1), interface="lo")
    assert [r.getMessage() for r in caplog.records] == [
        "A database with the identifier orchestrator has already been made An error will be "
        "raised if multiple databases are started with the same identifier"
    ]

    with pytest.raises(SmartSimError, match="given more than once"):
        exp.start(first, second)  # together: refused as two entities of one name
    assert exp._control.running_jobs() == []

    exp.start(first)
    with pytest.raises(SSDBIDConflictError) as info:
        exp.start(second)
    assert str(info.value) == CONFLICT.format("orchestrator")
    assert not second.is_active() and len(exp._control.running_jobs()) == 1
    for colocated_id in ("", "orchestrator"):
        model = exp.create_model(f"colo{colocated_id}", exp.create_run_settings("true"))
        model.colocate_db_tcp(port=find_free_ports(1), db_identifier=colocated_id)
        with pytest.raises(SSDBIDConflictError, match=CONFLICT.format("orchestrator")):
            exp.start(model)
        assert exp.get_status(model) == [SmartSimStatus.STATUS_NEVER_STARTED]

    exp.stop(first)
    exp.start(second)  # the identifier is free again once the first one stopped
    assert second.is_active()
    exp.stop(second)


def test_poll_returns_at_once_when_only_databases_run(exp) -> None:
    started = time.monotonic()
    exp.poll(interval=10)  # nothing launched yet
    assert time.monotonic() - started < 1

    db = exp.create_database(port=find_free_ports(1), interface="lo")
    model = exp.create_model("quick", exp.create_run_settings("true"))
    exp.start(db)
    exp.start(model)
    started = time.monotonic()
    exp.poll(interval=10, verbose=True)
    assert time.monotonic() - started < 1
    assert db.is_active()

    sleeper = exp.create_model("sleeper", exp.create_run_settings("sleep", exe_args="0.5"))
    exp.start(sleeper, block=False)
    started = time.monotonic()
    exp.poll(interval=10, verbose=False)  # waits for the running model, not for interval
    assert 0.3 < time.monotonic() - started < 5
    assert exp.get_status(sleeper) == [SmartSimStatus.STATUS_COMPLETED]
    exp.stop(db)


def test_generate_puts_entities_where_smartsim_does(exp, tmp_path: Path) -> None:
    exp_dir = Path(exp.exp_path)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    rs = exp.create_run_settings("pwd")
    model = exp.create_model("m", rs, path=str(elsewhere / "m"))
    ensemble = exp.create_ensemble("ens", run_settings=rs, replicas=2, path=str(elsewhere))
    db = exp.create_database(
        port=find_free_ports(1), path=str(elsewhere / "db"), interface="lo", db_identifier="feat"
    )

    exp.generate(model, ensemble, db)

    assert model.path == str(exp_dir / "m")
    assert ensemble.path == str(exp_dir / "ens")
    assert [m.path for m in ensemble] == [str(exp_dir / "ens" / f"ens_{i}") for i in range(2)]
    assert db.path == str(exp_dir / "feat")
    assert all(shard.path == str(exp_dir / "feat") for shard in db.entities)
    assert not elsewhere.exists()
    exp.start(model, ensemble)
    for entity in (model, *ensemble):
        with open(os.path.join(entity.path, f"{entity.name}.out"), encoding="utf-8") as out:
            assert out.read().strip() == os.path.realpath(entity.path)
