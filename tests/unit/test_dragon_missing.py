"""Without the dragonhpc package the dragon launcher says what is missing."""

from __future__ import annotations

import pytest

from smartsim._core.launcher import create_launcher
from smartsim._core.launcher.dragon import launcher as dragon_launcher
from smartsim.error import SSUnsupportedError


def test_missing_runtime_is_named(monkeypatch):
    monkeypatch.setattr(dragon_launcher.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SSUnsupportedError, match="'dragonhpc' package is not installed"):
        create_launcher("dragon", lambda *a: None)
