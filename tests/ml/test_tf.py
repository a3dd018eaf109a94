"""smartsim.ml.tf: a clear import error without TensorFlow; with it (the tf extra), Keras
generators and model freezing."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from smartsim.ml import TrainingDataUploader
from tests.ml.conftest import FEATURES, batch

HAVE_TF = importlib.util.find_spec("tensorflow") is not None


@pytest.mark.skipif(HAVE_TF, reason="TensorFlow is installed")
def test_without_tensorflow_the_import_says_what_to_install(monkeypatch):
    monkeypatch.delitem(sys.modules, "smartsim.ml.tf", raising=False)
    with pytest.raises(
        ModuleNotFoundError, match=r"TensorFlow is not installed.*smartsim-py\[tf\]"
    ):
        import smartsim.ml.tf  # noqa: F401


@pytest.mark.skipif(not HAVE_TF, reason="needs TensorFlow (pip install -e '.[tf]')")
def test_keras_generators_train_and_models_freeze(standalone_db, monkeypatch, tmp_path):
    from tensorflow import keras

    from smartsim.ml.tf import (
        DynamicDataGenerator,
        StaticDataGenerator,
        freeze_model,
        serialize_model,
    )

    monkeypatch.delenv("SSKEYIN", raising=False)
    uploader = TrainingDataUploader(num_classes=2, cluster=False)
    uploader.publish_info()
    for index in range(4):
        samples, ids = batch(0, index, 4)
        uploader.put_batch(samples, ids % 2)  # class labels for to_categorical
    static = StaticDataGenerator(
        data_info_or_list_name="training_data", batch_size=4, cluster=False, dynamic=True
    )
    assert (static.dynamic, len(static), static.num_classes) == (False, 4, 2)
    x, y = static[0]
    assert x.shape == (4, FEATURES) and y.shape == (4, 2)  # one-hot targets
    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(2, "softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(static, epochs=2, verbose=0)
    dynamic = DynamicDataGenerator(
        data_info_or_list_name="training_data", batch_size=4, cluster=False
    )
    for index in range(4, 6):
        samples, ids = batch(0, index, 4)
        uploader.put_batch(samples, ids % 2)
    dynamic.on_epoch_end()  # fetches the new batches
    assert len(dynamic) == 6 and len(static) == 4
    path, inputs, outputs = freeze_model(model, str(tmp_path), "model")
    assert path.endswith("model.pb") and inputs and outputs
    graph, inputs, outputs = serialize_model(model)
    assert isinstance(graph, bytes) and inputs and outputs
    assert np.isfinite(model.predict(x, verbose=0)).all()
