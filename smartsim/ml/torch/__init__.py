"""PyTorch data generators and DataLoader for online training (needs ``torch``)."""

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - torch is in the test environment
    raise ModuleNotFoundError(
        "PyTorch is not installed. Please install it (pip install 'smartsim-py[ml]') to use "
        "smartsim.ml.torch"
    ) from None

from smartsim.ml.torch.data import DataLoader, DynamicDataGenerator, StaticDataGenerator

__all__ = ["DataLoader", "DynamicDataGenerator", "StaticDataGenerator"]
