"""Train a small network on the waves the simulations upload, while they are uploading.

The DataLoader's two workers each read their share of every simulation's list (disjoint
data); being dynamic, they fetch the batches added since the previous epoch.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch import nn

from smartsim.ml.torch import DataLoader, DynamicDataGenerator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between epochs")
    args = parser.parse_args()
    torch.manual_seed(0)
    generator = DynamicDataGenerator(
        data_info_or_list_name="training_data",  # names of tensors come from the DataInfo
        batch_size=32,
        shuffle=True,
        cluster=os.environ.get("SR_DB_TYPE") == "Clustered",
        wait_interval=0.5,  # until the first batches arrive
        max_fetch_trials=120,
    )
    loader = DataLoader(generator, num_workers=2)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(args.epochs):
        total, seen = 0.0, 0
        for waves, params in loader:
            loss = nn.functional.mse_loss(model(waves), params)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(waves)
            seen += len(waves)
        print(f"epoch {epoch}: {seen} samples, mean loss {total / seen:.4f}", flush=True)
        time.sleep(args.pause)  # stands for the rest of a real epoch: validation, checkpoints


if __name__ == "__main__":
    main()
