"""A database at its maxmemory (noeviction) refuses writes with the typed OOM error and keeps
serving reads; the shard and its inference worker stay up."""

from __future__ import annotations

import io
import os

import numpy as np
import psutil
import pytest

from smartredis import Client
from smartredis.error import RedisBadAllocError
from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.status import SmartSimStatus

torch = pytest.importorskip("torch")

BLOCK = np.ones((256, 1024), dtype=np.float32)  # 1 MiB


def _model() -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(4, 4)), buffer)
    return buffer.getvalue()


def _workers(shard: psutil.Process) -> list[psutil.Process]:
    return [p for p in shard.children() if "inference.worker" in " ".join(p.cmdline())]


def test_full_database_refuses_writes_serves_reads_and_stays_up(tmp_path, monkeypatch):
    exp = Experiment("full", exp_path=str(tmp_path))
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    db.set_max_memory("24mb")
    db.set_eviction_strategy("noeviction")
    exp.start(db)
    try:
        shard = psutil.Process(int(exp._control.jobs()[-1].current.job_id))
        monkeypatch.setenv("SSDB", f"127.0.0.1:{db.port}")
        monkeypatch.setenv("SR_DB_TYPE", "Standalone")
        client = Client(False)
        client.set_model("m", _model(), "TORCH", "CPU")
        client.put_tensor("x", np.ones((1, 4), dtype=np.float32))
        client.run_model("m", ["x"], ["y0"])  # the worker works before the database is full
        with pytest.raises(RedisBadAllocError, match="OOM"):
            for i in range(64):  # 64 MiB into 24 MiB
                client.put_tensor(f"fill{i}", BLOCK)
        stored = sum(client.tensor_exists(f"fill{i}") for i in range(64))
        assert 0 < stored < 64
        # The refused write's own request counted towards the limit, so the data alone sits
        # just under it; a limit 2 MiB below what the data uses makes the database full
        # whatever the server's buffers do meanwhile.
        used = int(client.get_db_node_info([f"127.0.0.1:{db.port}"])[0]["Memory"]["used_memory"])
        db.set_max_memory(str(used - 2 * 1024 * 1024))

        with pytest.raises(RedisBadAllocError, match="OOM"):
            client.put_tensor("one_more", np.ones((4,), dtype=np.float32))
        with pytest.raises(RedisBadAllocError, match="OOM"):
            client.set_model("m2", _model(), "TORCH", "CPU")
        with pytest.raises(RedisBadAllocError, match="OOM"):
            client.run_model("m", ["x"], ["y1"])
        assert not client.tensor_exists("y1") and not client.model_exists("m2")

        # reads are served
        np.testing.assert_array_equal(client.get_tensor("fill1"), BLOCK)
        assert client.get_tensor("y0").shape == (1, 4)
        assert client.model_exists("m") and client.get_model("m")

        # the shard and its worker are still there, and the worker still works once there
        # is room again
        assert shard.is_running()
        (worker,) = _workers(shard)
        for i in range(4):
            client.delete_tensor(f"fill{i}")
        client.run_model("m", ["x"], ["y2"])
        assert client.get_tensor("y2").shape == (1, 4)
        assert _workers(shard) == [worker] and worker.is_running()
        assert exp.get_status(db) == [SmartSimStatus.STATUS_RUNNING]
        with open(os.path.join(db.path, f"{db.entities[0].name}.err"), encoding="utf-8") as err:
            assert "worker exited" not in err.read()
    finally:
        exp.stop(db)
