"""Keras data generators and model freezing for online training (needs ``tensorflow``)."""

try:
    import tensorflow  # type: ignore[import,unused-ignore]  # noqa: F401
except ImportError:
    raise ModuleNotFoundError(
        "TensorFlow is not installed. Please install it (pip install 'smartsim-py[tf]') to use "
        "smartsim.ml.tf"
    ) from None

from smartsim.ml.tf.data import DynamicDataGenerator, StaticDataGenerator
from smartsim.ml.tf.utils import freeze_model, serialize_model

__all__ = ["DynamicDataGenerator", "StaticDataGenerator", "freeze_model", "serialize_model"]
