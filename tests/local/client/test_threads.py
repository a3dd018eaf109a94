"""One Client shared by 8 threads, on a standalone database and a cluster: every thread gets
its own data back, and nothing hangs or fails."""

from __future__ import annotations

import threading

import numpy as np

from smartredis import Client, Dataset

THREADS = 8
ROUNDS = 120
DATASET_EVERY = 10


def _work(client: Client, index: int, start: threading.Barrier, errors: list) -> None:
    """Put and get this thread's own tensors, datasets and list entries, checking each."""
    size = 8 if index % 2 else 16 << 10  # small replies and ones that take several reads
    try:
        start.wait()
        for step in range(ROUNDS):
            value = np.full(size, index * 10_000 + step, dtype=np.int64)
            client.put_tensor(f"t{index}", value)
            np.testing.assert_array_equal(client.get_tensor(f"t{index}"), value)
            assert client.tensor_exists(f"t{index}")
            if step % DATASET_EVERY == 0:
                ds = Dataset(f"ds{index}")
                ds.add_tensor("v", value)
                ds.add_meta_scalar("step", step)
                client.put_dataset(ds)
                back = client.get_dataset(f"ds{index}")
                np.testing.assert_array_equal(back.get_tensor("v"), value)
                assert list(back.get_meta_scalars("step")) == [step]
                client.append_to_list(f"agg{index}", ds)
    except BaseException as exc:  # reported by the test, with the thread that saw it
        errors.append((index, exc))


def test_one_client_shared_by_threads(any_db, monkeypatch):
    monkeypatch.setenv("SR_CMD_TIMEOUT", "10")  # a mixed-up reply stream fails, not hangs
    client = Client()
    start = threading.Barrier(THREADS)
    errors: list = []
    threads = [
        threading.Thread(target=_work, args=(client, i, start, errors)) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    assert not errors, errors[:3]
    for index in range(THREADS):
        assert client.get_list_length(f"agg{index}") == ROUNDS // DATASET_EVERY
