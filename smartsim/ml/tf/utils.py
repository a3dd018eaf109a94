"""Freeze a Keras/TF model into a graph that the database's TF backend runs (``set_model``)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import tensorflow as tf  # type: ignore[import,unused-ignore]
from tensorflow.python.framework.convert_to_constants import (  # type: ignore[import,unused-ignore]
    convert_variables_to_constants_v2,
)


def _frozen(model: t.Any) -> tuple[t.Any, list[str], list[str]]:
    """The model's forward pass with variables as constants, and its input/output names."""
    spec = tf.TensorSpec(model.inputs[0].shape, model.inputs[0].dtype)
    concrete = tf.function(lambda x: model(x)).get_concrete_function(spec)
    frozen = convert_variables_to_constants_v2(concrete)
    inputs = [tensor.name.split(":")[0] for tensor in frozen.inputs]
    outputs = [tensor.name.split(":")[0] for tensor in frozen.outputs]
    return frozen, inputs, outputs


def freeze_model(model: t.Any, output_dir: str, file_name: str) -> tuple[str, list[str], list[str]]:
    """Write the frozen graph to ``output_dir/file_name`` (``.pb`` added if missing).

    :return: the file's absolute path, the input names and the output names, as
        ``Client.set_model_from_file`` takes them
    """
    if not file_name.endswith(".pb"):
        file_name += ".pb"
    frozen, inputs, outputs = _frozen(model)
    tf.io.write_graph(
        graph_or_graph_def=frozen.graph, logdir=output_dir, name=file_name, as_text=False
    )
    return str(Path(output_dir, file_name).resolve()), inputs, outputs


def serialize_model(model: t.Any) -> tuple[bytes, list[str], list[str]]:
    """The frozen graph as bytes, with the input and output names, as ``Client.set_model``
    takes them."""
    frozen, inputs, outputs = _frozen(model)
    graph = frozen.graph.as_graph_def().SerializeToString(deterministic=True)
    return graph, inputs, outputs
