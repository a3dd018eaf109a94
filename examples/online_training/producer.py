"""A toy simulation: each step it samples damped waves and uploads them as a training batch.

A sample is one wave u(x) = a * exp(-d * x) * sin(k * x) at 32 points; its target is the
parameters (a, d, k) that the trainer learns to recover from the curve.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from smartsim.ml import TrainingDataUploader

POINTS = 32
BATCH = 64


def simulate(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One batch: BATCH waves (samples) and their parameters (targets)."""
    params = rng.uniform([0.5, 0.1, 1.0], [2.0, 1.0, 6.0], size=(BATCH, 3)).astype(np.float32)
    x = np.linspace(0.0, 3.0, POINTS, dtype=np.float32)
    a, d, k = (params[:, i : i + 1] for i in range(3))
    return a * np.exp(-d * x) * np.sin(k * x), params


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    name = os.environ.get("SSKEYOUT", "simulation_0")  # this member's prefix
    rank = int(name.rsplit("_", 1)[1])
    uploader = TrainingDataUploader(
        list_name="training_data",
        sample_name="waves",
        target_name="params",
        cluster=os.environ.get("SR_DB_TYPE") == "Clustered",
        rank=rank,
    )
    if rank == 0:
        uploader.publish_info()  # the trainer needs only the list name
    rng = np.random.default_rng(rank)
    for step in range(args.steps):
        samples, targets = simulate(rng)
        uploader.put_batch(samples, targets)
        print(f"{name}: step {step} uploaded {len(samples)} samples", flush=True)
        time.sleep(0.5)  # the simulation's own work


if __name__ == "__main__":
    main()
