"""End to end through Experiment: 3 producers upload while a torch model trains on a 3-shard
database; and the example of examples/online_training runs as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.status import SmartSimStatus

PROGRAMS = Path(__file__).parent / "programs"
EXAMPLE = Path(__file__).parents[2] / "examples" / "online_training" / "driver.py"


def test_producers_stream_to_a_trainer_on_a_cluster(tmp_path):
    exp = Experiment("online", exp_path=str(tmp_path), launcher="local")
    db = exp.create_database(port=find_free_ports(3, cluster=True), db_nodes=3, interface="lo")
    producers = exp.create_ensemble(
        "producer",
        run_settings=exp.create_run_settings(sys.executable, [str(PROGRAMS / "producer.py")]),
        replicas=3,
    )
    producers.enable_key_prefixing()
    consumer = exp.create_model(
        "consumer", exp.create_run_settings(sys.executable, [str(PROGRAMS / "consumer.py")])
    )
    for member in producers.models:
        consumer.register_incoming_entity(member)
    exp.generate(producers, consumer)
    exp.start(db)
    try:
        exp.start(producers, consumer, block=True)
        statuses = exp.get_status(producers, consumer)
    finally:
        exp.stop(db)
    out = Path(consumer.path, "consumer.out").read_text()
    err = Path(consumer.path, "consumer.err").read_text()
    assert statuses == [SmartSimStatus.STATUS_COMPLETED] * 4, out + err
    assert out.splitlines() == [
        "static: every sample once per epoch",
        "dynamic: new batches appeared",
    ], out + err


def test_the_example_runs_as_written(tmp_path):
    port = find_free_ports(1)
    argv = [sys.executable, str(EXAMPLE), "--port", str(port), "--steps", "4", "--epochs", "3"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    epochs = [line for line in done.stdout.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 3, done.stdout
