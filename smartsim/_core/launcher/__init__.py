"""Launchers by name: the registry the controller picks from."""

from __future__ import annotations

from smartsim._core.launcher.base import Launcher, OnExit, OnStatus
from smartsim._core.launcher.dragon.launcher import DragonLauncher
from smartsim._core.launcher.local.launcher import LocalLauncher
from smartsim._core.launcher.lsf.launcher import LSFLauncher
from smartsim._core.launcher.pbs.launcher import PALSLauncher, PBSLauncher
from smartsim._core.launcher.slurm.launcher import SlurmLauncher
from smartsim.error import LauncherError

_LAUNCHERS: dict[str, type[Launcher]] = {
    "local": LocalLauncher,
    "slurm": SlurmLauncher,
    "pbs": PBSLauncher,
    "pals": PALSLauncher,
    "lsf": LSFLauncher,
    "dragon": DragonLauncher,
}

KNOWN_LAUNCHERS = ("local", "slurm", "pbs", "pals", "lsf", "dragon", "sge")
"""Launcher names an Experiment accepts (settings can be made for all of them)."""


def launcher_class(name: str) -> type[Launcher] | None:
    """The class of the launcher called ``name`` (None: settings only, e.g. sge), for its
    capabilities without starting it."""
    return _LAUNCHERS.get(name)


def create_launcher(name: str, on_exit: OnExit, on_status: OnStatus | None = None) -> Launcher:
    """The launcher called ``name``, reporting job exits to ``on_exit``.

    :param on_status: told of scheduler statuses (Queued, Running, Cancelled...)
    :raises SSUnsupportedError: dragon, when the dragonhpc runtime is not installed
    :raises LauncherError: the launcher is known but cannot launch in this version
    """
    found = launcher_class(name)
    if found is None:
        raise LauncherError(
            f"The {name!r} launcher cannot start jobs in this version; launchers that can: "
            f"{sorted(_LAUNCHERS)}. Settings, generate and preview work with any launcher."
        )
    return found(on_exit, on_status)
