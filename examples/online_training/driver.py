"""Online training: an ensemble of simulations streams samples that a PyTorch model trains on.

Each ensemble member (producer.py) runs a small simulation and uploads a batch of samples per
step with smartsim.ml's TrainingDataUploader; key prefixing gives each member its own list.
The trainer (trainer.py), started at the same time, reads every member's list through
smartsim.ml.torch's DynamicDataGenerator and DataLoader (two workers, each with its share)
and trains on the samples available, which grow every epoch while the simulations run.

Run from any directory (the experiment's files go to ./online-training):
    python examples/online_training/driver.py [--db-nodes 3] [--port 6780]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smartsim import Experiment
from smartsim.status import SmartSimStatus

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--producers", type=int, default=3, help="ensemble members")
    parser.add_argument("--steps", type=int, default=16, help="batches each member uploads")
    parser.add_argument("--epochs", type=int, default=8, help="training epochs")
    parser.add_argument("--db-nodes", type=int, default=1, help="1: standalone, 3+: cluster")
    parser.add_argument("--port", type=int, default=6780, help="first database port")
    args = parser.parse_args()

    exp = Experiment("online-training", launcher="local")  # its files go to ./online-training
    db = exp.create_database(port=args.port, db_nodes=args.db_nodes, interface="lo")

    producer = exp.create_run_settings(
        sys.executable, exe_args=[str(HERE / "producer.py"), "--steps", str(args.steps)]
    )
    simulations = exp.create_ensemble("simulation", run_settings=producer, replicas=args.producers)
    simulations.enable_key_prefixing()  # each member uploads to its own, prefixed list

    trainer = exp.create_model(
        "trainer",
        exp.create_run_settings(
            sys.executable, exe_args=[str(HERE / "trainer.py"), "--epochs", str(args.epochs)]
        ),
    )
    for member in simulations.models:
        trainer.register_incoming_entity(member)  # SSKEYIN: where the trainer reads

    exp.generate(db, simulations, trainer, overwrite=True)
    exp.start(db)
    try:
        exp.start(simulations, trainer, block=True, summary=False)
        print(Path(trainer.path, "trainer.out").read_text(), end="")
        print(exp.summary(style="github"))
    finally:
        exp.stop(db)
    statuses = exp.get_status(simulations, trainer)
    if any(status != SmartSimStatus.STATUS_COMPLETED for status in statuses):
        sys.exit("a simulation or the trainer failed: see the .err files in " + exp.exp_path)


if __name__ == "__main__":
    main()
