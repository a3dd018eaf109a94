"""SmartSim-compatible workflow library: launch simulations, ML and a feature store together."""

__version__ = "0.8.0"

from smartsim.experiment import Experiment  # noqa: E402

__all__ = ["Experiment", "__version__"]
