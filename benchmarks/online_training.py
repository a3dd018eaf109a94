"""Online training throughput: samples per second from the producers' uploads to the trainer's
training step, through smartsim.ml against plain put_tensor/get_tensor, at 1, 4 and 16 producers.

The same data (``--samples`` float32 samples of 64 features with int64 targets, in batches of
128) is split among the producers, separate processes that each upload their share as fast as
they can once the trainer says go. smartsim.ml: each producer is an ensemble member (SSKEYOUT)
putting batches with ``TrainingDataUploader.put_batch``; the trainer's
``smartsim.ml.torch.DynamicDataGenerator`` (SSKEYIN: the producers) updates until it has every
sample. Plain: each producer ``put_tensor``s samples and targets per batch; the trainer
``poll_tensor``s and ``get_tensor``s every one under each producer's prefix. Both then run one
shuffled epoch of training steps (a linear layer, SGD) over all samples; the clock runs from go
to the last step. Each cell is the median of ``--repeats`` runs, the two ways interleaved.
Usage: .venv/bin/python benchmarks/online_training.py [--samples N] [--repeats N]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import tempfile
import time
import typing as t

import numpy as np

PRODUCERS = (1, 4, 16)
BATCH, FEATURES, CLASSES = 128, 64, 10


def _batches(rank: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(rank)
    return [
        (
            rng.random((BATCH, FEATURES), dtype=np.float32),
            rng.integers(0, CLASSES, BATCH, dtype=np.int64),
        )
        for _ in range(count)
    ]


def _producer(rank: int, count: int, address: str, commands: t.Any, go: t.Any) -> None:
    """Upload ``count`` batches each time a mode arrives on ``commands`` (None: stop)."""
    os.environ["SSKEYOUT"] = f"producer_{rank}"
    from smartredis import Client
    from smartsim.ml import TrainingDataUploader

    data = _batches(rank, count)
    uploader = TrainingDataUploader(cluster=False, address=address, rank=rank)
    client = Client(cluster=False, address=address)
    while (mode := commands.get()) is not None:
        uploader.batch_idx = 0
        go.wait()
        for index, (samples, targets) in enumerate(data):
            if mode == "ml":
                uploader.put_batch(samples, targets)
            else:
                client.put_tensor(f"samples_{index}", samples)
                client.put_tensor(f"targets_{index}", targets)


def _train(samples: t.Any, targets: t.Any, batches: t.Iterable[t.Any] | None = None) -> None:
    """One epoch of training steps over shuffled batches."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(FEATURES, CLASSES)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    if batches is None:
        order = torch.randperm(len(samples))
        batches = (
            (samples[order[i : i + BATCH]], targets[order[i : i + BATCH]])
            for i in range(0, len(samples) - BATCH + 1, BATCH)
        )
    for x, y in batches:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _consume_ml(address: str, total: int) -> None:
    from smartsim.ml import DataInfo
    from smartsim.ml.torch import DynamicDataGenerator

    generator = DynamicDataGenerator(
        data_info_or_list_name=DataInfo("training_data"),
        batch_size=BATCH,
        cluster=False,
        address=address,
        max_fetch_trials=100_000,
        wait_interval=0.001,
    )
    generator.init_samples(100_000, 0.001)
    while generator.num_samples < total:
        before = generator.num_samples
        generator.update_data()
        if generator.num_samples == before:
            time.sleep(0.001)  # nothing new: wait as poll_tensor does (1 ms)
    _train(None, None, generator)  # the generator's epoch: update (nothing new), shuffle, batches


def _consume_plain(address: str, producers: int, count: int) -> None:
    import torch

    from smartredis import Client

    client = Client(cluster=False, address=address)
    samples, targets = [], []
    for rank in range(producers):
        client.set_data_source(f"producer_{rank}")
        for index in range(count):
            assert client.poll_tensor(f"targets_{index}", 1, 100_000)
            samples.append(client.get_tensor(f"samples_{index}"))
            targets.append(client.get_tensor(f"targets_{index}"))
    _train(torch.from_numpy(np.concatenate(samples)), torch.from_numpy(np.concatenate(targets)))


def measure(address: str, producers: int, total: int, repeats: int) -> tuple[float, float]:
    """(smartsim.ml samples/s, plain samples/s) with ``producers`` producer processes."""
    from smartredis import Client

    count = total // BATCH // producers
    total = count * BATCH * producers
    context = mp.get_context("spawn")
    go = context.Barrier(producers + 1)
    queues = [context.Queue() for _ in range(producers)]
    procs = [
        context.Process(target=_producer, args=(rank, count, address, queues[rank], go))
        for rank in range(producers)
    ]
    for proc in procs:
        proc.start()
    admin = Client(cluster=False, address=address)
    rates: dict[str, list[float]] = {"ml": [], "plain": []}
    try:
        for _ in range(repeats):
            for mode in ("ml", "plain"):
                admin.flush_db([address])
                for queue in queues:
                    queue.put(mode)
                go.wait()
                start = time.perf_counter()
                if mode == "ml":
                    _consume_ml(address, total)
                else:
                    _consume_plain(address, producers, count)
                rates[mode].append(total / (time.perf_counter() - start))
    finally:
        for queue in queues:
            queue.put(None)
        for proc in procs:
            proc.join(timeout=30)
    return statistics.median(rates["ml"]), statistics.median(rates["plain"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=32768)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from tabulate import tabulate

    from smartsim import Experiment
    from smartsim._core.utils.network import find_free_ports

    root = tempfile.mkdtemp(prefix="online-training-")
    exp = Experiment("online_training", exp_path=root, launcher="local")
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    exp.start(db)
    try:
        address = db.get_address()[0]
        rows = []
        for producers in PRODUCERS:
            # the trainer reads every producer's keys
            os.environ["SSKEYIN"] = ",".join(f"producer_{rank}" for rank in range(producers))
            ours, plain = measure(address, producers, args.samples, args.repeats)
            rows.append([producers, f"{ours:,.0f}", f"{plain:,.0f}", f"{ours / plain:.2f}"])
    finally:
        exp.stop(db)
        shutil.rmtree(root, ignore_errors=True)
    headers = ["producers", "smartsim.ml samples/s", "get_tensor samples/s", "ratio"]
    print(
        f"{args.samples} samples of {FEATURES} float32 in batches of {BATCH}, uploaded to one "
        f"server at {address} and trained on for one epoch"
    )
    print(tabulate(rows, headers, tablefmt="github", disable_numparse=True, colalign=["right"] * 4))


if __name__ == "__main__":
    main()
