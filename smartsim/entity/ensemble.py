"""Ensemble: many Models made from one set of run settings by params or replicas."""

from __future__ import annotations

import copy
import os
import typing as t

from tabulate import tabulate

from smartsim.entity.dbobject import DBModel, DBScript
from smartsim.entity.dbobjectsmixin import DBObjectsMixin
from smartsim.entity.entity import SmartSimEntity
from smartsim.entity.entityList import EntityList
from smartsim.entity.model import Model
from smartsim.entity.strategies import resolve_strategy
from smartsim.error import EntityExistsError, SmartSimError, UserStrategyError
from smartsim.log import get_logger

if t.TYPE_CHECKING:
    from smartsim.settings.base import BatchSettings, RunSettings

logger = get_logger(__name__)


def _read_param_values(params: dict[str, t.Any]) -> tuple[list[str], list[list[str]]]:
    """Split params into names and value lists (scalars become one-value lists), as str."""
    names: list[str] = []
    values: list[list[str]] = []
    for name, value in params.items():
        names.append(name)
        if isinstance(value, list):
            values.append([str(v) for v in value])
        elif isinstance(value, (int, float, str)):
            values.append([str(value)])
        else:
            raise TypeError(
                f"Ensemble param {name!r} has a value of type {type(value).__name__}; "
                "use a list, an int, a float or a str"
            )
    return names, values


class Ensemble(DBObjectsMixin, EntityList[Model]):
    """A group of Models made by a parameter strategy, replicas, or added one by one."""

    def __init__(
        self,
        name: str,
        params: dict[str, t.Any],
        path: str | None = None,
        params_as_args: list[str] | None = None,
        batch_settings: BatchSettings | None = None,
        run_settings: RunSettings | None = None,
        perm_strat: str | t.Callable[..., t.Any] = "all_perm",
        **kwargs: t.Any,
    ) -> None:
        """
        :param name: name of the ensemble; members are ``<name>_<i>``
        :param params: parameters to expand into members with ``perm_strat``
        :param path: the ensemble's directory; members nest under it
        :param params_as_args: params also passed to members as arguments
        :param batch_settings: launch all members in one batch job
        :param run_settings: the run settings each member gets a copy of
        :param perm_strat: ``all_perm``, ``step``, ``random`` or a callable
        :param replicas: (keyword) make this many identical members
        """
        self.params = dict(params or {})
        self.params_as_args = params_as_args or []
        self._key_prefixing_enabled = True
        self._db_models: list[DBModel] = []
        self._db_scripts: list[DBScript] = []
        self.replicas: int | None = None
        super().__init__(
            name,
            str(path or os.getcwd()),
            batch_settings=batch_settings,
            run_settings=run_settings,
            perm_strat=perm_strat,
            **kwargs,
        )

    def _initialize_entities(self, **kwargs: t.Any) -> None:
        strategy = resolve_strategy(kwargs.pop("perm_strat"))
        replicas = kwargs.pop("replicas", None)
        n_models = kwargs.pop("n_models", 0)
        if replicas is not None and (not isinstance(replicas, int) or replicas < 1):
            raise SmartSimError(f"replicas must be a positive int, got {replicas!r}")
        self.replicas = replicas

        if self.params:
            if not self.run_settings:
                raise SmartSimError(
                    f"Ensemble {self.name} was given params but no run_settings to create "
                    "its members with"
                )
            names, values = _read_param_values(self.params)
            param_sets = strategy(names, values, n_models)
            if not isinstance(param_sets, list) or not all(isinstance(p, dict) for p in param_sets):
                raise UserStrategyError(str(strategy))
            for param_set in param_sets:
                for _ in range(replicas or 1):
                    self._add_member(param_set, self.run_settings)
        elif self.run_settings:
            if not replicas:
                raise SmartSimError(
                    f"Ensemble {self.name} was given run_settings but neither params nor "
                    "replicas to make members from"
                )
            for _ in range(replicas):
                self._add_member({}, self.run_settings)
        elif not self.batch_settings:
            raise SmartSimError(f"Ensemble {self.name} needs run_settings or batch_settings")
        else:
            logger.info(f"Empty ensemble {self.name} created for a batch launch; add models")

    def _add_member(self, params: dict[str, str], run_settings: RunSettings) -> None:
        member_name = f"{self.name}_{len(self.entities)}"
        member = Model(
            name=member_name,
            params=params,
            path=os.path.join(self.path, member_name),
            run_settings=copy.deepcopy(run_settings),
            params_as_args=self.params_as_args,
        )
        member.enable_key_prefixing()
        member.params_to_args()
        self.add_model(member)

    @property
    def models(self) -> list[Model]:
        """The ensemble's members."""
        return self.entities

    def add_model(self, model: Model) -> None:
        """Add a member; its name must be unique in the ensemble."""
        if not isinstance(model, Model):
            raise TypeError(f"{model!r} is not a Model")
        if any(member.name == model.name for member in self.entities):
            raise EntityExistsError(f"Model {model.name} already exists in ensemble {self.name}")
        for db_model in self._db_models:
            model.add_ml_model_object(db_model)
        for db_script in self._db_scripts:
            model.add_script_object(db_script)
        self.entities.append(model)

    def set_path(self, new_path: str) -> None:
        """Move the ensemble's directory and its members' under it."""
        super().set_path(new_path)
        for member in self.entities:
            member.set_path(os.path.join(new_path, member.name))

    def register_incoming_entity(self, incoming_entity: SmartSimEntity) -> None:
        """Register ``incoming_entity`` with every member (see Model)."""
        for member in self.entities:
            member.register_incoming_entity(incoming_entity)

    def enable_key_prefixing(self) -> None:
        """Prefix every member's keys with its name."""
        for member in self.entities:
            member.enable_key_prefixing()

    def query_key_prefixing(self) -> bool:
        """Whether every member prefixes its keys."""
        return all(member.query_key_prefixing() for member in self.entities)

    def attach_generator_files(
        self,
        to_copy: list[str] | None = None,
        to_symlink: list[str] | None = None,
        to_configure: list[str] | None = None,
    ) -> None:
        """Attach the same files to every member (see Model)."""
        for member in self.entities:
            member.attach_generator_files(to_copy, to_symlink, to_configure)

    @property
    def attached_files_table(self) -> str:
        """SmartSim's grid of each member's name and attached-files table."""
        if not self.entities:
            return "The ensemble is empty, no files to show."
        rows = [[member.name, member.attached_files_table] for member in self.entities]
        return tabulate(rows, headers=["Model name", "Files"], tablefmt="grid")

    def print_attached_files(self) -> None:
        """Print the attached-files table of every member."""
        print(self.attached_files_table)

    def add_ml_model_object(self, db_model: DBModel) -> None:
        """Store an existing DBModel in the database when the members start."""
        super().add_ml_model_object(db_model)
        for member in self.entities:
            member.add_ml_model_object(db_model)

    def add_script_object(self, db_script: DBScript) -> None:
        """Store an existing DBScript in the database when the members start."""
        super().add_script_object(db_script)
        for member in self.entities:
            member.add_script_object(db_script)
