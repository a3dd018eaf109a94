"""Launchers by name: the registry the controller picks from."""

from __future__ import annotations

from smartsim._core.launcher.base import Launcher, OnExit
from smartsim._core.launcher.local.launcher import LocalLauncher
from smartsim.error import LauncherError

_LAUNCHERS: dict[str, type[Launcher]] = {
    "local": LocalLauncher,
}

KNOWN_LAUNCHERS = ("local", "slurm", "pbs", "pals", "lsf", "dragon", "sge")
"""Launcher names an Experiment accepts (settings can be made for all of them)."""


def create_launcher(name: str, on_exit: OnExit) -> Launcher:
    """The launcher called ``name``, reporting job exits to ``on_exit``.

    :raises LauncherError: the launcher is known but cannot launch in this version
    """
    try:
        launcher_class = _LAUNCHERS[name]
    except KeyError:
        raise LauncherError(
            f"The {name!r} launcher cannot start jobs in this version; launchers that can: "
            f"{sorted(_LAUNCHERS)}. Settings, generate and preview work with any launcher."
        ) from None
    return launcher_class(on_exit)
