"""SmartSimEntity: the base of everything an Experiment can launch."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from smartsim.settings.base import RunSettings


class SmartSimEntity:
    """A named thing to run, with a directory and the settings to run it."""

    def __init__(self, name: str, path: str, run_settings: RunSettings | None) -> None:
        """
        :param name: unique name of the entity
        :param path: the entity's directory (working directory and output files)
        :param run_settings: how to run it
        """
        self.name = name
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
