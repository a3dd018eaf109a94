"""What to run: Model, Ensemble and the objects loaded into a database with them."""

from .dbobject import DBModel, DBObject, DBScript
from .ensemble import Ensemble
from .entity import SmartSimEntity
from .entityList import EntityList, EntitySequence
from .files import EntityFiles
from .model import Model

__all__ = [
    "DBModel",
    "DBObject",
    "DBScript",
    "Ensemble",
    "EntityFiles",
    "EntityList",
    "EntitySequence",
    "Model",
    "SmartSimEntity",
]
