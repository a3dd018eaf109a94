"""TF (frozen graph) and TFLITE models; runs where tensorflow is installed (the tf extra).

The test venv does not install tensorflow (hundreds of MB); run with a venv that has it:
``pip install -e '.[tf]'`` then pytest this file.
"""

from __future__ import annotations

import numpy as np
import pytest

from smartredis import Client

tf = pytest.importorskip("tensorflow")


@pytest.fixture
def affine():
    weights = np.arange(8, dtype=np.float32).reshape(4, 2)
    bias = np.array([0.5, -1.0], dtype=np.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def fn(x):
        return tf.matmul(x, weights) + bias

    return fn.get_concrete_function(), weights, bias


def test_tf_and_tflite_models(standalone_db, affine):
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    concrete, weights, bias = affine
    frozen = convert_variables_to_constants_v2(concrete)
    graph = frozen.graph.as_graph_def().SerializeToString()
    inputs = [t.name.split(":")[0] for t in frozen.inputs]
    outputs = [t.name.split(":")[0] for t in frozen.outputs]
    lite = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()
    client = Client()
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    client.put_tensor("x", x)
    client.set_model("graph", graph, "TF", inputs=inputs, outputs=outputs)
    client.run_model("graph", "x", "y")
    np.testing.assert_allclose(client.get_tensor("y"), x @ weights + bias, rtol=1e-5)
    client.set_model("lite", lite, "TFLITE")
    client.run_model("lite", "x", "y2")
    np.testing.assert_allclose(client.get_tensor("y2"), x @ weights + bias, rtol=1e-5)
