"""Run and batch settings (``smartsim.settings``), with SmartSim 0.8's names."""

from .alpsSettings import AprunSettings
from .base import BatchSettings, RunSettings, SettingsBase
from .containers import Container, Singularity
from .dragonRunSettings import DragonRunSettings
from .lsfSettings import BsubBatchSettings, JsrunSettings
from .mpiSettings import MpiexecSettings, MpirunSettings, OrterunSettings
from .palsSettings import PalsMpiexecSettings
from .pbsSettings import QsubBatchSettings
from .sgeSettings import SgeQsubBatchSettings
from .slurmSettings import SbatchSettings, SrunSettings

__all__ = [
    "AprunSettings",
    "BatchSettings",
    "BsubBatchSettings",
    "Container",
    "DragonRunSettings",
    "JsrunSettings",
    "MpiexecSettings",
    "MpirunSettings",
    "OrterunSettings",
    "PalsMpiexecSettings",
    "QsubBatchSettings",
    "RunSettings",
    "SbatchSettings",
    "SettingsBase",
    "SgeQsubBatchSettings",
    "Singularity",
    "SrunSettings",
]
