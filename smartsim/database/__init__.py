"""The Orchestrator: SmartSim's in-memory database."""

from .orchestrator import Orchestrator

__all__ = ["Orchestrator"]
