"""Small pure helpers shared across the library."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil

# SmartSim has init_default here too; the one implementation is smartredis.util's.
from smartredis.util import init_default as init_default
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


_INFERENCE_BACKENDS = ("tensorflow", "torch", "onnxruntime")
"""SmartSim's names of the ML backends, which are also the Python packages the inference
worker imports for them (smartsim._core.inference.backends)."""


def installed_redisai_backends(backends_path: str | None = None) -> set[str]:
    """The ML backends the database's inference workers can load here: those of tensorflow,
    torch and onnxruntime whose package is importable (the workers run this Python).

    :param backends_path: SmartSim's directory of RedisAI backend libraries; there are none
        here (the workers use the Python packages), so it is accepted and not used
    """
    return {name for name in _INFERENCE_BACKENDS if importlib.util.find_spec(name) is not None}
