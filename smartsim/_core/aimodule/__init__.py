"""The smartsim-ai Valkey module (RedisAI's AI.* commands): where ``pip install`` built it, or
why it could not (then the database runs without the AI commands; see the README).

Kept free of imports beyond ``os``: the database entrypoints load it at start-up.
"""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY = os.path.join(_HERE, "libsmartsim_ai.so")
"""The built module, loaded by the server with ``--loadmodule``."""
BUILD_ERROR = os.path.join(_HERE, "build-error.txt")
"""Written by the build when the module could not be compiled: what went wrong."""


def built_library() -> str | None:
    """The module ``pip install`` built, if it did."""
    return LIBRARY if os.path.isfile(LIBRARY) else None


def build_failure() -> str:
    """Why there is no built module, as the build recorded it (or a generic reason)."""
    try:
        with open(BUILD_ERROR, encoding="utf-8") as file:
            reason = file.read().strip()
    except OSError:
        reason = ""
    return reason or (
        "the smartsim-ai module was not built when the package was installed "
        "(reinstall with a C compiler available: pip install --force-reinstall ...)"
    )
