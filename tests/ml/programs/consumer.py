"""Trains on the members' batches: static (each sample once per epoch), then dynamic through
a DataLoader with 2 workers (new batches appear after the producers were asked for more)."""

import os

import numpy as np
import torch

from smartredis import Client
from smartsim.ml.torch import DataLoader, DynamicDataGenerator, StaticDataGenerator

SIZE = 8
sources = os.environ["SSKEYIN"].split(",")
client = Client(cluster=True)
client.use_list_ensemble_prefix(True)


def wait_for(batches: int) -> list[int]:
    """Wait until every member listed ``batches`` batches; their sample ids."""
    for source in sources:
        client.set_data_source(source)
        assert client.poll_list_length("training_data", batches, 100, 600), source
    members = [int(source.rsplit("_", 1)[1]) for source in sources]
    return sorted(
        m * 10_000 + i * 100 + row for m in members for i in range(batches) for row in range(SIZE)
    )


torch.manual_seed(0)
model = torch.nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)


def epoch(batches) -> list[int]:
    """One training epoch; the ids of the samples it saw."""
    ids = []
    for x, y in batches:
        assert (x[:, 0].long() == y).all(), "targets were separated from their samples"
        loss = torch.nn.functional.cross_entropy(model(x), y % 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ids += x[:, 0].long().tolist()
    assert np.isfinite(loss.item())
    return sorted(ids)


first = wait_for(2)
static = StaticDataGenerator(data_info_or_list_name="training_data", batch_size=8)
assert (static.num_classes, static.dynamic) == (2, False)
static.init_samples(10, 0.1)
for number in range(3):
    assert epoch(static) == first, f"static epoch {number}"
print("static: every sample once per epoch", flush=True)

dynamic = DynamicDataGenerator(data_info_or_list_name="training_data", batch_size=8)
loader = DataLoader(dynamic, num_workers=2)
assert epoch(loader) == first
client.put_tensor("more", np.ones(1))
everything = wait_for(4)
assert epoch(loader) == everything
assert epoch(loader) == everything
print("dynamic: new batches appeared", flush=True)
