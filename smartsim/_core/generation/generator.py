"""Generator: what ``Experiment.generate`` does to the file system.

It creates the experiment directory and one directory per entity where SmartSim puts it,
whatever ``path`` the entity was given: ``<exp_path>/<name>`` for a model, an ensemble and
a database (whose name is its ``db_identifier``), ``<exp_path>/<ensemble>/<member>`` for an
ensemble's members; each entity's ``path`` becomes that directory. Then it copies,
symlinks and configures each model's attached files, and records the params it wrote in
``smartsim_params.txt`` (one for the experiment, one per configured model).

It removes a directory only with ``overwrite=True``, only inside the experiment directory,
and never one that a running entity uses.
"""

from __future__ import annotations

import logging
import os
import shutil
import typing as t
from datetime import datetime

from tabulate import tabulate

from smartsim._core.generation.modelwriter import DEFAULT_TAG, configure_file, tag_pattern
from smartsim.entity.ensemble import Ensemble
from smartsim.entity.entity import check_name
from smartsim.entity.files import LINKED_DIR_MESSAGE, PARAMS_FILE
from smartsim.entity.model import Model
from smartsim.error import ParameterWriterError, SmartSimError, SSFileExistsError
from smartsim.log import get_logger

logger = get_logger(__name__)

InUse = t.Callable[[str], "str | None"]
"""``in_use(path)``: what runs in ``path`` or below it (a description), or None."""


class Generator:
    """Creates entity directories and writes their attached files.

    :param gen_path: the experiment directory (created with its parents if missing)
    :param overwrite: replace existing entity directories instead of raising
    :param tag: the delimiter around param names in configured files, ``;`` by default
    :param verbose: log what was configured at info level instead of debug
    :param in_use: tells which directories running entities use (none are known without it)
    """

    def __init__(
        self,
        gen_path: str,
        overwrite: bool = False,
        tag: str | None = None,
        verbose: bool = False,
        in_use: InUse | None = None,
    ) -> None:
        self.gen_path = os.path.abspath(gen_path)
        self.overwrite = overwrite
        self.in_use: InUse = in_use or (lambda path: None)
        self.tag = tag or DEFAULT_TAG
        tag_pattern(self.tag)  # reject a bad tag before touching any file
        self.log_level = logging.INFO if verbose else logging.DEBUG

    @property
    def log_file(self) -> str:
        """The experiment's record of the params written by the last generation."""
        return os.path.join(self.gen_path, PARAMS_FILE)

    def generate_experiment(self, *entities: t.Any) -> None:
        """Generate the directories and files of ``entities``.

        Databases (and any other entity) first, then ensembles, then models, as SmartSim
        does; each entity's ``path`` becomes the directory made for it.

        :param entities: Models, Ensembles, or entities with ``name``, ``path`` and ``type``
        :raises ValueError: a name is not a plain directory name (see ``check_name``)
        :raises SSFileExistsError: a directory exists and ``overwrite`` is False
        :raises SmartSimError: an entity is running, or a directory to replace is outside
            the experiment or in use
        :raises ParameterWriterError: a file to configure cannot be read or written
        """
        others, ensembles, models = _split_entities(entities)
        planned: list[tuple[t.Any, str]] = [(e, self._dir_in(self.gen_path, e)) for e in others]
        model_dirs: list[tuple[Model, str]] = []
        for ensemble in ensembles:
            ensemble_dir = self._dir_in(self.gen_path, ensemble)
            planned.append((ensemble, ensemble_dir))
            model_dirs += [(m, self._dir_in(ensemble_dir, m)) for m in ensemble.models]
        standalone = [(m, self._dir_in(self.gen_path, m)) for m in models]
        model_dirs += standalone
        for entity, path in planned + model_dirs:  # every refusal before anything is written
            self._check_can_generate(entity, path)
        if not self.overwrite:
            _check_no_model_dirs(model_dirs)
        self._make_experiment_dir()
        for entity, path in planned:
            if isinstance(entity, Ensemble):
                self._generate_ensemble(entity, path)
            else:
                self._generate_plain(entity, path)
        for model, path in standalone:
            self._generate_model(model, path)

    # -- directories ------------------------------------------------------------------------

    def _make_experiment_dir(self) -> None:
        """Create the experiment directory and start its params file."""
        if os.path.lexists(self.gen_path) and not os.path.isdir(self.gen_path):
            raise SSFileExistsError(
                f"Experiment directory {self.gen_path} could not be created: a file of that "
                "name exists; remove it or choose another exp_path"
            )
        if os.path.isdir(self.gen_path):
            logger.log(self.log_level, f"Working in previously created experiment {self.gen_path}")
        os.makedirs(self.gen_path, exist_ok=True)
        # Only the last generation is recorded: each model's own file repeats its entry.
        stamp = datetime.now().strftime("%d/%m/%Y %H:%M:%S")
        with open(self.log_file, "w", encoding="utf-8") as log:
            log.write(f"Generation start date and time: {stamp}\n")

    def _make_dir(self, path: str, label: str, *, replace: bool, keep: bool = False) -> None:
        """Create ``path``; an existing one is replaced, kept, or refused with an error."""
        if os.path.lexists(path) and not os.path.isdir(path):
            raise SSFileExistsError(
                f"Cannot create the directory of {label}: {path} exists and is not a directory"
            )
        if os.path.isdir(path):
            if replace:
                self._remove_dir(path, label)
            elif not keep:
                raise _exists_error(label, path)
        os.makedirs(path, exist_ok=True)

    @staticmethod
    def _dir_in(parent: str, entity: t.Any) -> str:
        """The entity's directory in ``parent``: ``<parent>/<name>``."""
        return os.path.join(parent, check_name(entity.name, entity.type))

    def _check_can_generate(self, entity: t.Any, path: str) -> None:
        """Refuse a bad name, a running entity, and a directory that may not be replaced.

        :param path: the directory the entity is generated into
        """
        label = _label(entity)
        check_name(entity.name, entity.type)
        for used in dict.fromkeys([entity.path, path]):
            running = self.in_use(used) if os.path.isdir(used) else None
            if running:
                raise SmartSimError(
                    f"Cannot generate {label}: {running} in {used}, and generate never "
                    "touches the directory of a running entity. Stop it first"
                )
        if self.overwrite and os.path.isdir(path):
            self._check_removable(path, label)

    def _check_removable(self, path: str, label: str) -> None:
        """Refuse to remove a directory outside the experiment or holding the current one.

        Symlinks among its parents are resolved; the entry itself is not (a link inside
        the experiment is unlinked, never followed).
        """
        target = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        root = os.path.realpath(self.gen_path)
        if target == root or os.path.commonpath([root, target]) != root:
            raise SmartSimError(
                f"Refusing to remove {path} to regenerate {label}: it is not inside the "
                f"experiment directory {self.gen_path}, and generate removes nothing outside "
                "it. Remove it yourself, or give the entity a directory in the experiment"
            )
        cwd = os.getcwd()
        if os.path.commonpath([os.path.realpath(cwd), target]) == target:
            raise SmartSimError(
                f"Refusing to remove {path} to regenerate {label}: it contains the current "
                f"directory {cwd}. Give {label} a directory of its own"
            )

    def _remove_dir(self, path: str, label: str) -> None:
        """Remove an entity directory (checked beforehand by ``_check_can_generate``)."""
        self._check_removable(path, label)
        if os.path.islink(path):
            os.unlink(path)
        else:
            shutil.rmtree(path)

    # -- entities ---------------------------------------------------------------------------

    def _generate_plain(self, entity: t.Any, path: str) -> None:
        """Give a non-model entity (e.g. an Orchestrator) its directory ``path``; an existing
        one is kept unless overwriting."""
        label = _label(entity)
        self._make_dir(path, label, replace=self.overwrite, keep=True)
        if hasattr(entity, "set_path"):
            entity.set_path(path)  # lets an entity list move its members along
        else:
            entity.path = path
        logger.debug(f"Generated directory {path} for {label}")

    def _generate_ensemble(self, ensemble: Ensemble, path: str) -> None:
        """Create the ensemble's directory ``path``, then each member's below it."""
        # As in SmartSim, an existing ensemble directory is kept unless overwriting; a
        # member directory that is still there is what raises.
        self._make_dir(path, _label(ensemble), replace=self.overwrite, keep=True)
        ensemble.set_path(path)
        for member in ensemble.models:
            self._generate_model(member, self._dir_in(path, member))

    def _generate_model(self, model: Model, path: str) -> None:
        """Create the model's directory ``path`` and write its attached files into it."""
        label = _label(model)
        self._make_dir(path, label, replace=self.overwrite)
        model.set_path(path)
        files = model.files
        if files:
            for src in files.copy:
                _copy_into(src, model.path, label)
            for src in files.link:
                _link_into(src, model.path, label)
            if files.tagged:
                self._log_params(model, self._configure(model, files.tagged))
        logger.debug(f"Generated directory {model.path} for {label}")

    # -- configuration ----------------------------------------------------------------------

    def _configure(self, model: Model, tagged: list[str]) -> dict[str, dict[str, str]]:
        """Configure the tagged files into the model's directory: written file -> params."""
        dirs, pairs = plan_tagged_files(tagged, model.path)
        for directory in dirs:
            os.makedirs(directory, exist_ok=True)
        logger.debug(f"Configuring model {model.name} with params {model.params}")
        return {dst: configure_file(src, dst, model.params, self.tag) for src, dst in pairs}

    def _log_params(self, model: Model, files_to_params: dict[str, dict[str, str]]) -> None:
        """Record the params written per file, in the experiment's and the model's log."""
        used = {name: v for params in files_to_params.values() for name, v in params.items()}
        if not used:
            logger.log(self.log_level, f"Configured model {model.name} with no parameters")
            return
        listing = ", ".join(f"{name}={value}" for name, value in used.items())
        logger.log(self.log_level, f"Configured model {model.name} with params {listing}")
        entry = format_params_entry(model.name, files_to_params, self.gen_path)
        with open(self.log_file, "a", encoding="utf-8") as log:
            log.write(entry)
        with open(os.path.join(model.path, PARAMS_FILE), "w", encoding="utf-8") as log:
            log.write(entry)


def format_params_entry(
    model_name: str, files_to_params: dict[str, dict[str, str]], relative_to: str
) -> str:
    """A model's entry in ``smartsim_params.txt``: a table of file -> (param, value) table.

    Files in which no param was written are left out.
    """
    rows = [
        (os.path.relpath(path, relative_to), tabulate(params.items(), headers=["Name", "Value"]))
        for path, params in files_to_params.items()
        if params
    ]
    table = tabulate(rows, headers=["File name", "Parameters"])
    return f"Model name: {model_name}\n{table}\n\n"


def plan_tagged_files(tagged: list[str], dest: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The directories to create and (source, destination) files to configure.

    A tagged file goes to ``dest``; a tagged directory's contents go to ``dest`` and its
    subdirectories are rebuilt below it (SmartSim's TaggedFilesHierarchy layout).

    :raises ParameterWriterError: a tagged path no longer exists
    :raises ValueError: a tagged directory contains a symlink to a directory
    """
    dirs: list[str] = []
    pairs: list[tuple[str, str]] = []
    for path in tagged:
        if os.path.isdir(path):
            _plan_dir_contents(path, dest, dirs, pairs)
        else:
            _plan_entry(path, dest, dirs, pairs)
    return dirs, pairs


def _plan_dir_contents(
    src_dir: str, dest: str, dirs: list[str], pairs: list[tuple[str, str]]
) -> None:
    for name in sorted(os.listdir(src_dir)):
        _plan_entry(os.path.join(src_dir, name), dest, dirs, pairs)


def _plan_entry(path: str, dest: str, dirs: list[str], pairs: list[tuple[str, str]]) -> None:
    target = os.path.join(dest, os.path.basename(path))
    if os.path.isdir(path):
        if os.path.islink(path):
            raise ValueError(LINKED_DIR_MESSAGE)
        dirs.append(target)
        _plan_dir_contents(path, target, dirs, pairs)
    elif os.path.isfile(path):
        pairs.append((path, target))
    else:
        raise ParameterWriterError(path)


def _copy_into(src: str, dest: str, label: str) -> None:
    """Copy a file into ``dest``, or a directory's contents (SmartSim 0.8 merges them)."""
    try:
        if not os.path.isdir(src):
            shutil.copy2(src, os.path.join(dest, os.path.basename(src)))
            return
        for name in sorted(os.listdir(src)):
            entry = os.path.join(src, name)
            if os.path.isdir(entry):
                shutil.copytree(entry, os.path.join(dest, name), dirs_exist_ok=True)
            else:
                shutil.copy2(entry, os.path.join(dest, name))
    except (OSError, shutil.Error) as exc:
        raise SmartSimError(f"Could not copy {src} into {dest} for {label}: {exc}") from exc


def _link_into(src: str, dest: str, label: str) -> None:
    """Symlink ``src`` into ``dest`` under its own name."""
    link = os.path.join(dest, os.path.basename(os.path.normpath(src)))
    try:
        os.symlink(src, link)
    except OSError as exc:
        raise SmartSimError(
            f"Could not symlink {src} as {link} for {label}: {exc}. Is another attached "
            "file of the same name copied or linked there too?"
        ) from exc


def _exists_error(label: str, path: str) -> SSFileExistsError:
    return SSFileExistsError(
        f"Directory for {label} already exists: {path}. "
        "Pass overwrite=True to Experiment.generate to replace it"
    )


def _check_no_model_dirs(model_dirs: list[tuple[Model, str]]) -> None:
    """Refuse existing model directories before anything is written (no half generation)."""
    for model, path in model_dirs:
        if os.path.isdir(path):
            raise _exists_error(_label(model), path)


def _label(entity: t.Any) -> str:
    return f"{entity.type} {entity.name!r}"


def _split_entities(entities: t.Iterable[t.Any]) -> tuple[list[t.Any], list[Ensemble], list[Model]]:
    """Group entities as (others, ensembles, models), dropping repeats of the same object."""
    others: list[t.Any] = []
    ensembles: list[Ensemble] = []
    models: list[Model] = []
    seen: set[int] = set()
    for entity in entities:
        if id(entity) in seen:
            continue
        seen.add(id(entity))
        if isinstance(entity, Ensemble):
            ensembles.append(entity)
        elif isinstance(entity, Model):
            models.append(entity)
        elif all(hasattr(entity, attr) for attr in ("name", "path", "type")):
            others.append(entity)
        else:
            raise TypeError(
                f"Cannot generate {entity!r}: expected a Model, an Ensemble or an entity with "
                "name, path and type"
            )
    return others, ensembles, models
