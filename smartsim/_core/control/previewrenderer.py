"""Experiment.preview: what would be launched, rendered as text in SmartSim 0.8's layout."""

from __future__ import annotations

import functools
import pathlib
import shlex
import sys
import textwrap
import typing as t
from enum import Enum

import jinja2

from smartsim.error import PreviewFormatError
from smartsim.log import get_logger

if t.TYPE_CHECKING:
    from smartsim.entity import Ensemble, Model

logger = get_logger(__name__)

_COLOCATED_DB_TYPE = "redis"
"""Backend shown for a colocated database (the only one we launch)."""

_PARAM_WRAP = 150
"""Width at which a long list of ensemble parameter values wraps (as SmartSim 0.8)."""


class Verbosity(str, Enum):
    """How much the preview shows."""

    INFO = "info"
    """Fields the user set."""
    DEBUG = "debug"
    """Plus fields the library generates (paths, executables, client configuration)."""
    DEVELOPER = "developer"
    """Plus the launch commands."""


class Format(str, Enum):
    """Output formats of the preview."""

    PLAINTEXT = "plain_text"


def _check_verbosity(verbosity_level: Verbosity | str) -> Verbosity:
    """Return the Verbosity named by ``verbosity_level``.

    :raises ValueError: the value is not one of the Verbosity values
    """
    try:
        return Verbosity(verbosity_level)
    except ValueError:
        valid = ", ".join(repr(v.value) for v in Verbosity)
        raise ValueError(
            f"Invalid preview verbosity_level {verbosity_level!r}; use one of {valid}"
        ) from None


def _check_output_format(output_format: Format | str) -> Format:
    """Return the Format named by ``output_format``.

    :raises PreviewFormatError: the format is not supported
    """
    try:
        return Format(output_format)
    except ValueError:
        valid = ", ".join(repr(f.value) for f in Format)
        raise PreviewFormatError(
            f"Unsupported preview output_format {output_format!r} (valid: {valid}). "
            f"The only valid output format currently available is {Format.PLAINTEXT.value}"
        ) from None


def _as_toggle(value: bool) -> str:
    """Show a flag as On or Off."""
    return "On" if value else "Off"


def _key_value(key: str, value: t.Any) -> str:
    """Show a run or batch argument as ``key: value``, or ``key`` alone for a flag."""
    return str(key) if value is None else f"{key}: {value}"


def _param_values(value: t.Any) -> str:
    """Show an ensemble parameter's values comma separated, wrapped as SmartSim 0.8 does."""
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "\n              ".join(textwrap.wrap(text, _PARAM_WRAP)) or text


def _joined(values: str | t.Iterable[str]) -> str:
    """Show one network interface name or several comma separated."""
    return values if isinstance(values, str) else ", ".join(values)


@functools.cache
def _environment(output_format: Format) -> jinja2.Environment:
    """The jinja2 environment reading the templates of one output format."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("smartsim", f"templates/preview/{output_format.value}"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["as_toggle"] = _as_toggle
    env.filters["param_values"] = _param_values
    env.filters["joined"] = _joined
    env.globals["key_value"] = _key_value
    env.globals["colocated_db_type"] = _COLOCATED_DB_TYPE
    return env


def _launch_command_lookup(
    launch_commands: dict[str, list[str]],
) -> t.Callable[[str, int], list[tuple[str, str]]]:
    """Build the template's lookup of an entity's launch commands as (label, shell text)."""

    def lookup(name: str, shards: int = 0) -> list[tuple[str, str]]:
        names = [name] + [f"{name}_{i}" for i in range(shards)]
        return [(n, shlex.join(launch_commands[n])) for n in names if n in launch_commands]

    return lookup


def render(
    exp_name: str,
    exp_path: str,
    launcher: str,
    models: list[Model],
    ensembles: list[Ensemble],
    dbs: list[t.Any],
    *,
    verbosity_level: Verbosity | str = Verbosity.INFO,
    output_format: Format | str = Format.PLAINTEXT,
    launch_commands: dict[str, list[str]] | None = None,
) -> str:
    """Return the preview text of an experiment's entities (a pure function, no I/O).

    :param exp_name: the experiment's name
    :param exp_path: the experiment's directory
    :param launcher: the experiment's launcher name
    :param models: models to show
    :param ensembles: ensembles to show
    :param dbs: databases to show; each needs ``db_identifier``, ``path``, ``num_shards``,
        ``ports``, ``interfaces``, ``db_type``, ``server_exe``, ``batch``,
        ``batch_settings``, ``run_settings`` and ``is_clustered``
    :param verbosity_level: info, debug or developer
    :param output_format: only plain_text
    :param launch_commands: entity name (model, ensemble member, DB shard) -> launch argv,
        shown at developer verbosity
    :raises ValueError: unknown verbosity level
    :raises PreviewFormatError: unknown output format
    """
    verbosity = _check_verbosity(verbosity_level)
    fmt = _check_output_format(output_format)
    template = _environment(fmt).get_template("base.template")
    text = template.render(
        exp_name=exp_name,
        exp_path=exp_path,
        launcher=launcher,
        models=list(models),
        ensembles=list(ensembles),
        dbs=list(dbs),
        debug=verbosity in (Verbosity.DEBUG, Verbosity.DEVELOPER),
        developer=verbosity is Verbosity.DEVELOPER,
        launch_commands_for=_launch_command_lookup(launch_commands or {}),
    )
    return text.rstrip("\n")


def find_available_filename(filename: str) -> str:
    """Return ``filename``, or ``<stem>_01<suffix>``, ``_02``... when it already exists.

    SmartSim 0.8 does not overwrite an existing preview file either.
    """
    path = pathlib.Path(filename)
    candidate = path
    index = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}_{index:02}{path.suffix}")
        index += 1
    return str(candidate)


def preview(
    exp_name: str,
    exp_path: str,
    launcher: str,
    models: list[Model],
    ensembles: list[Ensemble],
    dbs: list[t.Any],
    *,
    verbosity_level: Verbosity | str = Verbosity.INFO,
    output_format: Format | str = Format.PLAINTEXT,
    output_filename: str | None = None,
    launch_commands: dict[str, list[str]] | None = None,
) -> str | None:
    """Print the preview to stdout, or write it to ``output_filename``.

    Arguments as :func:`render`. An existing file is never overwritten: the preview goes
    to the first free name ``<stem>_NN<suffix>`` instead.

    :param output_filename: file to write the preview to instead of printing it
    :return: the path of the file written, or None when printed
    :raises ValueError: unknown verbosity level
    :raises PreviewFormatError: unknown output format
    """
    text = render(
        exp_name,
        exp_path,
        launcher,
        models,
        ensembles,
        dbs,
        verbosity_level=verbosity_level,
        output_format=output_format,
        launch_commands=launch_commands,
    )
    if output_filename is None:
        sys.stdout.write(text + "\n")
        return None
    target = find_available_filename(output_filename)
    if target != output_filename:
        logger.warning(f"{output_filename} exists; writing the preview to {target} instead")
    with open(target, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    return target
