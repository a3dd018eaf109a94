"""EntitySequence/EntityList: an entity made of several launched entities (members, shards)."""

from __future__ import annotations

import typing as t

from smartsim.entity.entity import SmartSimEntity, check_name

if t.TYPE_CHECKING:
    from smartsim.settings.base import BatchSettings, RunSettings

_T = t.TypeVar("_T", bound=SmartSimEntity)


class EntitySequence(t.Generic[_T]):
    """A named group of entities launched together, e.g. an ensemble's members."""

    def __init__(
        self,
        name: str,
        path: str,
        batch_settings: BatchSettings | None = None,
        run_settings: RunSettings | None = None,
        **kwargs: t.Any,
    ) -> None:
        self.name = check_name(name, self.type)
        self.path = path
        self.entities: list[_T] = []
        self.batch_settings = batch_settings
        self.run_settings = run_settings
        self._initialize_entities(**kwargs)

    def _initialize_entities(self, **kwargs: t.Any) -> None:
        """Create the members: only subclasses know how, so the base class refuses (as
        SmartSim's does) rather than make an empty group that cannot be launched."""
        raise NotImplementedError

    @property
    def type(self) -> str:
        """The group's kind as shown in summaries."""
        return type(self).__name__

    def set_path(self, new_path: str) -> None:
        """Change the group's directory."""
        self.path = new_path

    def __getitem__(self, name: str) -> _T | None:
        for entity in self.entities:
            if entity.name == name:
                return entity
        return None

    def __iter__(self) -> t.Iterator[_T]:
        return iter(self.entities)

    def __len__(self) -> int:
        return len(self.entities)

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


class EntityList(EntitySequence[_T]):
    """An EntitySequence whose members live in a plain list (abstract too: subclasses
    implement ``_initialize_entities``)."""
