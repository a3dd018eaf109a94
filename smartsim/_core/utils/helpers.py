"""Small pure helpers shared across the library."""

from __future__ import annotations

import os
import re
import shutil

from smartsim.error import ExecutableNotFoundError


def is_valid_cmd(command: str | None) -> bool:
    """True when ``command`` names an executable on PATH or an executable file."""
    if not command:
        return False
    return shutil.which(command) is not None


def expand_exe_path(exe: str) -> str:
    """Return the absolute path of ``exe``, looked up on PATH or taken as a file path.

    :raises ExecutableNotFoundError: not on PATH and no such file
    :raises PermissionError: the file exists but is not executable
    """
    if not exe:
        raise ExecutableNotFoundError("No executable given: the executable name is empty")
    found = shutil.which(exe)
    if found:
        return os.path.abspath(found)
    if os.path.isfile(exe):
        if not os.access(exe, os.X_OK):
            raise PermissionError(f"File {exe!r} is not executable (chmod +x it)")
        return os.path.abspath(exe)
    raise ExecutableNotFoundError(
        f"Could not locate executable {exe!r}: it is not on PATH and is not a file path"
    )


def init_default(
    default: object, init_value: object, expected_type: type | tuple[type, ...] | None = None
) -> object:
    """Return ``init_value`` or ``default`` when it is None, checking its type if asked."""
    if init_value is None:
        return default
    if expected_type is not None and not isinstance(init_value, expected_type):
        raise TypeError(f"Argument was of type {type(init_value)}, not {expected_type}")
    return init_value


def fmt_walltime(hours: int, minutes: int, seconds: int) -> str:
    """Format a wall time as HH:MM:SS, the format every scheduler accepts."""
    total = hours * 3600 + minutes * 60 + seconds
    if total < 0:
        raise ValueError("Wall time must not be negative")
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Unicode's control characters (category Cc): C0, DEL and C1."""


def control_character(text: str) -> str | None:
    """The first control character (newline, tab, NUL, DEL, ...) in ``text``, if any.

    Values that end up in a script, a directive or a path must not carry one: a newline
    would start a new line of a batch script, for instance.
    """
    found = _CONTROL.search(text)
    return found.group() if found else None


def refuse_control_characters(text: str, what: str) -> str:
    """Return ``text``, or raise ValueError naming ``what`` if it holds a control character."""
    char = control_character(text)
    if char is not None:
        raise ValueError(
            f"{what} must not contain control characters (newlines, tabs, ...): {text!r} "
            f"contains {char!r}"
        )
    return text
