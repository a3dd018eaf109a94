"""End to end: an ensemble of producers (key prefixing on) and a consumer exchange tensors,
datasets and aggregation lists through a database started by ``Experiment``."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.status import SmartSimStatus

PRODUCER = """
    import os
    import numpy as np
    from smartredis import Client, Dataset

    me = os.environ["SSKEYOUT"]
    rank = int(me.rsplit("_", 1)[1])
    client = Client(logger_name=me)
    client.put_tensor("state", np.full((2, 3), rank, dtype=np.float64))
    ds = Dataset("summary")
    ds.add_tensor("histogram", np.arange(4, dtype=np.int32) * rank)
    ds.add_meta_string("member", me)
    ds.add_meta_scalar("rank", rank)
    client.put_dataset(ds)
    client.append_to_list("results", ds)
    print("produced", me)
"""

CONSUMER = """
    import os
    import numpy as np
    from smartredis import Client

    sources = os.environ["SSKEYIN"].split(",")
    client = Client(logger_name="consumer")
    for source in sources:
        client.set_data_source(source)
        rank = int(source.rsplit("_", 1)[1])
        assert client.poll_tensor("state", 50, 100), source
        state = client.get_tensor("state")
        assert state.shape == (2, 3) and (state == rank).all(), (source, state)
        ds = client.get_dataset("summary")
        assert ds.get_meta_strings("member") == [source]
        assert list(ds.get_meta_scalars("rank")) == [rank]
        assert (ds.get_tensor("histogram") == np.arange(4) * rank).all()
        listed = client.get_datasets_from_list("results")
        assert [d.get_meta_strings("member") for d in listed] == [[source]]
        print("consumed", source)
"""


def _script(path: Path, body: str) -> str:
    path.write_text(textwrap.dedent(body))
    return str(path)


@pytest.mark.parametrize("shards", [1, 3])
def test_ensemble_members_and_a_consumer_exchange_data(tmp_path, shards):
    exp = Experiment("exchange", exp_path=str(tmp_path), launcher="local")
    db = exp.create_database(
        port=find_free_ports(shards, cluster=shards > 1), db_nodes=shards, interface="lo"
    )
    producer = _script(tmp_path / "producer.py", PRODUCER)
    consumer_script = _script(tmp_path / "consumer.py", CONSUMER)
    ensemble = exp.create_ensemble(
        "producer",
        run_settings=exp.create_run_settings(sys.executable, exe_args=[producer]),
        replicas=3,
    )
    ensemble.enable_key_prefixing()
    consumer = exp.create_model(
        "consumer", exp.create_run_settings(sys.executable, exe_args=[consumer_script])
    )
    for member in ensemble.models:
        consumer.register_incoming_entity(member)
    exp.start(db)
    try:
        exp.start(ensemble, block=True)
        exp.start(consumer, block=True)
        statuses = exp.get_status(ensemble, consumer)
    finally:
        exp.stop(db)
    out = Path(consumer.path, "consumer.out").read_text()
    err = Path(consumer.path, "consumer.err").read_text()
    assert statuses == [SmartSimStatus.STATUS_COMPLETED] * 4, out + err
    assert out.split("\n")[:3] == [f"consumed producer_{i}" for i in range(3)], out + err
