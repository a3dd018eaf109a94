"""SmartSimEntity: the base of everything an Experiment can launch."""

from __future__ import annotations

import typing as t

from smartsim._core.utils.helpers import refuse_control_characters

if t.TYPE_CHECKING:
    from smartsim.settings.base import RunSettings


def check_name(name: str, kind: str) -> str:
    """Return ``name``, or raise ValueError if it cannot safely name a directory or file.

    An entity's name becomes a directory (``<exp_path>/<name>``), output files and job
    names: a name with a path separator or ``..`` would reach outside the experiment, and
    a control character would break the lines of logs and batch scripts.

    :param kind: what is named, for the message (``Model``, ``Ensemble``, ...)
    :raises TypeError: the name is not a str
    """
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a str, got {name!r}")
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise ValueError(
            f"{kind} name {name!r} is not allowed: a name becomes a directory of the "
            "experiment, so it must be non-empty, not '.' or '..', and without '/' or '\\'"
        )
    return refuse_control_characters(name, f"{kind} name")


class SmartSimEntity:
    """A named thing to run, with a directory and the settings to run it."""

    def __init__(self, name: str, path: str, run_settings: RunSettings | None) -> None:
        """
        :param name: unique name of the entity
        :param path: the entity's directory (working directory and output files)
        :param run_settings: how to run it
        """
        self.name = check_name(name, self.type)
        self.path = path
        self.run_settings = run_settings

    @property
    def type(self) -> str:
        """The entity's kind as shown in summaries (e.g. ``Model``)."""
        return type(self).__name__

    def set_path(self, path: str) -> None:
        """Change the entity's directory."""
        self.path = path

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name
