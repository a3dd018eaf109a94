"""add_ml_model, add_script and add_function, shared by Model and Ensemble."""

from __future__ import annotations

import typing as t

from smartsim.entity.dbobject import DBModel, DBScript
from smartsim.error import SSUnsupportedError

_DBObj = t.TypeVar("_DBObj", DBModel, DBScript)


def _append_unique(objects: list[_DBObj], new: _DBObj, owner: str) -> None:
    """Add a DB object, refusing a second one of the same name on the same entity."""
    if any(existing.name == new.name for existing in objects):
        raise SSUnsupportedError(
            f"A {type(new).__name__} named {new.name!r} is already attached to {owner}"
        )
    objects.append(new)


class DBObjectsMixin:
    """ML models, scripts and functions stored in the database when the entity starts.

    The entity sets ``_db_models`` and ``_db_scripts`` to empty lists; every ``add_*``
    method builds the object and passes it to :meth:`add_ml_model_object` or
    :meth:`add_script_object`, which an ensemble extends to hand it to its members.
    """

    name: str
    _db_models: list[DBModel]
    _db_scripts: list[DBScript]

    @property
    def db_models(self) -> t.Iterable[DBModel]:
        """ML models loaded into the database when this entity starts."""
        return iter(self._db_models)

    @property
    def db_scripts(self) -> t.Iterable[DBScript]:
        """Scripts and functions loaded into the database when this entity starts."""
        return iter(self._db_scripts)

    def add_ml_model(
        self,
        name: str,
        backend: str,
        model: bytes | None = None,
        model_path: str | None = None,
        device: str = "CPU",
        devices_per_node: int = 1,
        first_device: int = 0,
        batch_size: int = 0,
        min_batch_size: int = 0,
        min_batch_timeout: int = 0,
        tag: str = "",
        inputs: list[str] | None = None,
        outputs: list[str] | None = None,
    ) -> None:
        """Store an ML model (bytes or file) in the database when this entity starts."""
        self.add_ml_model_object(
            DBModel(
                name,
                backend,
                model,
                model_path,
                device,
                devices_per_node,
                first_device,
                batch_size,
                min_batch_size,
                min_batch_timeout,
                tag,
                inputs,
                outputs,
            )
        )

    def add_script(
        self,
        name: str,
        script: str | None = None,
        script_path: str | None = None,
        device: str = "CPU",
        devices_per_node: int = 1,
        first_device: int = 0,
    ) -> None:
        """Store a TorchScript script (text or file) in the database when this entity starts."""
        self.add_script_object(
            DBScript(name, script, script_path, device, devices_per_node, first_device)
        )

    def add_function(
        self,
        name: str,
        function: t.Callable[..., t.Any] | None = None,
        device: str = "CPU",
        devices_per_node: int = 1,
        first_device: int = 0,
    ) -> None:
        """Store a TorchScript function in the database when this entity starts."""
        self.add_script_object(
            DBScript(name, function, None, device, devices_per_node, first_device)
        )

    def add_ml_model_object(self, db_model: DBModel) -> None:
        """Store an existing DBModel in the database when this entity starts."""
        _append_unique(self._db_models, db_model, self.name)

    def add_script_object(self, db_script: DBScript) -> None:
        """Store an existing DBScript in the database when this entity starts."""
        _append_unique(self._db_scripts, db_script, self.name)
