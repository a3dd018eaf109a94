"""EntityFiles: files attached to a model, to be copied, symlinked or configured."""

from __future__ import annotations

import os

from smartsim.error import SSFileNotFoundError


def _as_path_list(files: str | list[str] | None, kind: str) -> list[str]:
    if not files:
        return []
    if isinstance(files, str):
        return [files]
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        return list(files)
    raise TypeError(f"{kind} files must be given as a str or a list of str, got {files!r}")


def _existing_abspath(file_path: str, kind: str) -> str:
    full_path = os.path.abspath(file_path)
    if os.path.exists(full_path):
        return full_path
    raise SSFileNotFoundError(f"{kind} file or directory {file_path!r} not found ({full_path})")


class EntityFiles:
    """Absolute paths of the files and directories attached to an entity.

    :param tagged: files (or directories of files) whose tagged parameters are filled in
    :param copy: files or directories copied into the entity's directory
    :param symlink: files or directories symlinked into the entity's directory
    """

    def __init__(
        self,
        tagged: str | list[str] | None = None,
        copy: str | list[str] | None = None,
        symlink: str | list[str] | None = None,
    ) -> None:
        self.tagged = [
            _existing_abspath(p, "To-configure") for p in _as_path_list(tagged, "Tagged")
        ]
        self.copy = [_existing_abspath(p, "To-copy") for p in _as_path_list(copy, "Copyable")]
        self.link = [_existing_abspath(p, "To-symlink") for p in _as_path_list(symlink, "Symlink")]

    def __bool__(self) -> bool:
        return bool(self.tagged or self.copy or self.link)

    def table_rows(self) -> list[tuple[str, str]]:
        """(strategy, path) rows for printing what is attached."""
        rows = [("Copy", p) for p in self.copy]
        rows += [("Symlink", p) for p in self.link]
        rows += [("Configure", p) for p in self.tagged]
        return rows
