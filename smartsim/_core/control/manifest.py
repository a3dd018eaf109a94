"""Manifest: the entities of one call, sorted by kind and checked for type and name clashes."""

from __future__ import annotations

import typing as t

from smartsim.entity import Ensemble, EntitySequence, Model, SmartSimEntity
from smartsim.error import SmartSimError


def _is_database(obj: object) -> bool:
    return getattr(obj, "type", None) == "Orchestrator"


class Manifest:
    """Models, ensembles and databases passed to one Experiment call."""

    def __init__(self, *args: t.Any) -> None:
        self.models: list[Model] = []
        self.ensembles: list[Ensemble] = []
        self.dbs: list[t.Any] = []
        for arg in args:
            if _is_database(arg):
                self.dbs.append(arg)
            elif isinstance(arg, Ensemble):
                self.ensembles.append(arg)
            elif isinstance(arg, Model):
                self.models.append(arg)
            elif isinstance(arg, (SmartSimEntity, EntitySequence)):
                raise TypeError(f"{type(arg).__name__} {arg.name!r} cannot be launched on its own")
            else:
                raise TypeError(
                    f"{arg!r} (a {type(arg).__name__}) is not a SmartSim entity: pass Models, "
                    "Ensembles or Orchestrators"
                )
        self._check_unique_names()

    def _check_unique_names(self) -> None:
        for kind, group in (
            ("model", self.models),
            ("ensemble", self.ensembles),
            ("database", self.dbs),
        ):
            names = [entity.name for entity in group]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise SmartSimError(f"The same {kind} name was given more than once: {repeated}")

    @property
    def all_entity_lists(self) -> list[t.Any]:
        """Ensembles and databases: the entities made of several jobs."""
        return [*self.ensembles, *self.dbs]

    @property
    def launchable(self) -> list[Model]:
        """Every model to launch as its own job: ensemble members then standalone models."""
        return [member for ens in self.ensembles for member in ens.models] + self.models

    def __bool__(self) -> bool:
        return bool(self.models or self.ensembles or self.dbs)
