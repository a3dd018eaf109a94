"""SmartSim-compatible workflow library: launch simulations, ML and a feature store together."""

__version__ = "0.8.0"
