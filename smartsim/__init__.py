"""SmartSim-compatible workflow library: launch simulations, ML and a feature store together."""

from __future__ import annotations

__version__ = "0.8.0"
__all__ = ["Experiment", "__version__"]


def __getattr__(name: str) -> type:
    # Experiment is imported on first use, so that the processes the library launches
    # (database shards, colocated wrappers) start without loading the driver's modules.
    if name == "Experiment":
        from smartsim.experiment import Experiment

        return Experiment
    raise AttributeError(f"module 'smartsim' has no attribute {name!r}")
