"""``smart info``: versions, the database server, its AI module and the ML backends found."""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import subprocess
import sys

from tabulate import tabulate

from smartsim import __version__
from smartsim._core.config import find_ai_module, find_database_exe
from smartsim._core.utils import installed_redisai_backends
from smartsim.error import SSConfigError
from smartsim.wlm import detect_launcher

HELP = "Display information about the current SmartSim installation"

BACKENDS = (
    ("Torch", "torch", "torch"),
    ("Tensorflow", "tensorflow", "tensorflow"),
    ("ONNX", "onnxruntime", "onnxruntime"),
)
"""Table name, name in installed_redisai_backends(), Python package."""


def database_version(exe: str) -> str:
    """What the server binary says of its version."""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(could not run it: {exc})"
    return out.stdout.strip() or out.stderr.strip()


def package_version(name: str) -> str:
    """The installed version of a Python package, or "Not Installed"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "Not Installed"


def run(_args: argparse.Namespace) -> int:
    """Print the installation's parts; exit 1 when there is no database server."""
    print(f"smartsim {__version__} (Python {platform.python_version()}, {sys.executable})")
    status = 0
    try:
        exe = find_database_exe()
    except SSConfigError as exc:
        print(f"database server: not available: {exc}")
        status = 1
    else:
        print(f"database server: {exe}")
        print(f"database version: {database_version(exe)}")
    try:
        module = find_ai_module()
    except SSConfigError as exc:
        print(f"AI commands: unavailable: {exc}")
    else:
        if module.path:
            print(f"AI commands (RedisAI 1.2 surface): smartsim-ai module {module.path}")
        else:
            print(f"AI commands: unavailable (models and scripts cannot run): {module.reason}")
    print(f"detected launcher: {detect_launcher()}")
    found = installed_redisai_backends()
    rows = [
        [name, str(key in found), package_version(package)] for name, key, package in BACKENDS
    ]
    print("\nMachine Learning Backends:")
    print(tabulate(rows, headers=["Name", "Backend Available", "Python Package"]))
    return status
