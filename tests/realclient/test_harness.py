"""The real-client harness itself: values round-trip, failures carry the snippet's traceback."""

from __future__ import annotations

import numpy as np
import pytest


def test_values_in_and_out(real_smartredis, realclient_db):
    out = real_smartredis.run(
        """
        import smartredis, sys
        outputs["doubled"] = inputs["a"] * 2
        outputs["n"] = inputs["n"] + 1
        outputs["half"] = np.float32(inputs["n"] / 2)
        outputs["db"] = __import__("os").environ["SSDB"]
        outputs["from_venv"] = smartredis.__file__.startswith(sys.prefix)
        """,
        realclient_db,
        {"a": np.arange(3, dtype=np.int16), "n": 4},
    )
    assert out["doubled"].dtype == np.int16 and out["doubled"].tolist() == [0, 2, 4]
    assert out["n"] == 5
    assert out["half"] == 2.0 and out["half"].dtype == np.float32
    assert out["db"] == realclient_db.ssdb and out["from_venv"] is True


def test_a_failing_snippet_shows_its_traceback(real_smartredis, realclient_db):
    with pytest.raises(pytest.fail.Exception) as failed:
        real_smartredis.run("c = Client(cluster=False)\nc.get_dataset('nope')\n", realclient_db)
    message = str(failed.value)
    assert "c.get_dataset('nope')" in message and "Traceback" in message
    assert "does not exist" in message
