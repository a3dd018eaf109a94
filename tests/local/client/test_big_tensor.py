"""A 1 GiB tensor round-trips with default server settings (split past the 512 MiB limit).

Needs about 5 GiB of memory (client arrays and the server's copy); set
SMARTREDIS_SKIP_BIG_TENSOR=1 to skip it on a small machine.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from smartredis import Client
from smartredis.wire import tensor as tensor_format

pytestmark = pytest.mark.skipif(
    os.environ.get("SMARTREDIS_SKIP_BIG_TENSOR") == "1",
    reason="SMARTREDIS_SKIP_BIG_TENSOR=1: the 1 GiB tensor test needs about 5 GiB of memory",
)


def test_one_gib_tensor_round_trips(standalone_db):
    client = Client()
    array = np.arange(1 << 28, dtype=np.int32)  # 1 GiB
    client.put_tensor("huge", array)
    assert client.key_exists(tensor_format.part_key("huge", 2))  # three strings of < 512 MiB
    assert not client.key_exists(tensor_format.part_key("huge", 3))
    back = client.get_tensor("huge")
    assert back.shape == array.shape and np.array_equal(back, array)
    del back
    target = np.zeros_like(array)
    client.unpack_tensor("huge", target)
    assert np.array_equal(target, array)
    client.delete_tensor("huge")
    assert not client.key_exists("huge")
    assert not client.key_exists(tensor_format.part_key("huge", 1))
