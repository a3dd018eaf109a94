"""Ensemble member: uploads 2 batches, waits for the consumer's go, then uploads 2 more."""

import os

import numpy as np

from smartsim.ml import TrainingDataUploader

SIZE, FEATURES = 8, 4

name = os.environ["SSKEYOUT"]
member = int(name.rsplit("_", 1)[1])
uploader = TrainingDataUploader(num_classes=2, rank=member)  # a cluster: the default
if member == 0:
    uploader.publish_info()


def put(index: int) -> None:
    """Batch ``index``: sample ids in column 0 (member, batch, row); targets are the ids."""
    ids = member * 10_000 + index * 100 + np.arange(SIZE)
    samples = np.zeros((SIZE, FEATURES), dtype=np.float32)
    samples[:, 0], samples[:, 1] = ids, ids % 2
    uploader.put_batch(samples, ids.astype(np.int64))


for index in range(2):
    put(index)
assert uploader.client.poll_tensor("more", 100, 600), "the consumer never asked for more"
for index in range(2, 4):
    put(index)
print(name, "uploaded 4 batches")
