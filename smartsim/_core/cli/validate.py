"""``smart validate``: run a small experiment to show that this installation works.

It starts a one-shard database on loopback, puts and gets a tensor, stores and runs a tiny
model on each ML backend found here (TorchScript, ONNX, TensorFlow), prints a table of the
checks, and stops the database. Files go to a temporary directory under the current one,
removed on success and kept (and named) on failure, as SmartSim does.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import sys
import tempfile
import time
import typing as t

import numpy as np
from tabulate import tabulate

from smartredis import Client
from smartsim._core.utils import installed_redisai_backends

HELP = "Run a simple SmartSim experiment to confirm that it is built correctly"

Check = t.Callable[[Client, str, str], None]
"""A check: (client, device, working directory); raises on failure."""


def configure(parser: argparse.ArgumentParser) -> None:
    """SmartSim's ``--port`` and ``--device``."""
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=None,
        help="port of the validation database (default: a free one)",
    )
    parser.add_argument(
        "--device",
        type=str.lower,
        default="cpu",
        choices=["cpu", "gpu"],
        help="device the ML backends are tested on",
    )


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_tensor(client: Client, _device: str, _workdir: str) -> None:
    """A tensor goes in and comes back equal."""
    sent = np.arange(9, dtype=np.float64).reshape(1, 1, 3, 3)
    client.put_tensor("validate-tensor", sent)
    if not np.array_equal(client.get_tensor("validate-tensor"), sent):
        raise RuntimeError("the tensor read back differs from the one sent")


def _run_and_compare(
    client: Client, name: str, inputs: dict[str, np.ndarray], expected: np.ndarray
) -> None:
    """Put the inputs, run model ``name`` on them, and compare its one output."""
    for key, value in inputs.items():
        client.put_tensor(key, value)
    client.run_model(name, inputs=list(inputs), outputs=[f"{name}-out"])
    got = client.get_tensor(f"{name}-out")
    if not np.allclose(got, expected, atol=1e-5):
        raise RuntimeError(f"model {name} answered {got!r}, expected {expected!r}")


def check_torch(client: Client, device: str, _workdir: str) -> None:
    """A TorchScript function stored and run in the database."""
    import torch

    traced = torch.jit.script(torch.nn.Linear(3, 2).eval())
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    client.set_model("validate-torch", buffer.getvalue(), "TORCH", device=device)
    sample = np.ones((1, 3), dtype=np.float32)
    with torch.no_grad():
        expected = traced(torch.from_numpy(sample)).numpy()
    _run_and_compare(client, "validate-torch", {"validate-torch-in": sample}, expected)


def check_onnx(client: Client, device: str, _workdir: str) -> None:
    """An ONNX graph (y = x + x) stored and run in the database."""
    from onnx import TensorProto, helper

    def value(name: str) -> t.Any:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, 2])

    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["y"])], "double", [value("x")], [value("y")]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    client.set_model("validate-onnx", model.SerializeToString(), "ONNX", device=device)
    sample = np.arange(4, dtype=np.float32).reshape(2, 2)
    _run_and_compare(client, "validate-onnx", {"validate-onnx-in": sample}, sample * 2)


def check_tf(client: Client, device: str, workdir: str) -> None:
    """A frozen Keras model stored and run in the database."""
    from tensorflow import keras  # type: ignore[import-untyped, unused-ignore]

    from smartsim.ml.tf import freeze_model

    net = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    path, inputs, outputs = freeze_model(net, workdir, "validate_tf.pb")
    client.set_model_from_file(
        "validate-tf", path, "TF", device=device, inputs=inputs, outputs=outputs
    )
    sample = np.ones((1, 4), dtype=np.float32)
    expected = np.asarray(net(sample))
    _run_and_compare(client, "validate-tf", {"validate-tf-in": sample}, expected)


def checks_here() -> list[tuple[str, Check | str]]:
    """Each check to run, or why it is skipped."""
    backends = installed_redisai_backends()
    found: list[tuple[str, Check | str]] = [("tensor put/get", check_tensor)]
    found.append(("Torch backend", check_torch if "torch" in backends else "torch not installed"))
    if "onnxruntime" not in backends:
        found.append(("ONNX backend", "onnxruntime not installed"))
    else:
        try:
            import onnx  # noqa: F401  (builds the test graph)
        except ImportError:
            found.append(("ONNX backend", "onnx (to build the test graph) not installed"))
        else:
            found.append(("ONNX backend", check_onnx))
    tf = check_tf if "tensorflow" in backends else "tensorflow not installed"
    found.append(("TensorFlow backend", tf))
    return found


def validate(workdir: str, port: int, device: str) -> list[list[str]]:
    """Start a database in ``workdir``, run every check, stop it; the table's rows.

    :raises Exception: the first check that failed (the database is stopped first)
    """
    from smartsim import Experiment

    exp = Experiment("ValidationExperiment", exp_path=workdir, launcher="local")
    db = exp.create_database(port=port, interface="lo")
    exp.generate(db)
    exp.start(db)
    rows = []
    try:
        client = Client(False, address=db.get_address()[0])
        for name, check in checks_here():
            if isinstance(check, str):
                rows.append([name, "skipped", check])
                continue
            started = time.perf_counter()
            try:
                check(client, device, workdir)
            except Exception as exc:
                raise RuntimeError(f"{name}: {exc}") from exc
            rows.append([name, "OK", f"{(time.perf_counter() - started) * 1000:.0f} ms"])
    finally:
        exp.stop(db)
    return rows


def run(args: argparse.Namespace) -> int:
    """Validate; 0 when every check passed, 2 (with the kept directory named) otherwise."""
    workdir = tempfile.mkdtemp(prefix="smartsim-validate-", dir=os.getcwd())
    port = args.port if args.port is not None else free_port()
    print(f"Validating SmartSim: a database on 127.0.0.1:{port}, files in {workdir}")
    try:
        rows = validate(workdir, port, args.device.upper())
    except Exception as exc:
        print(
            f"SmartSim failed to run a simple experiment: {exc}\n"
            f"Output files are available at {workdir}",
            file=sys.stderr,
        )
        return 2
    print(tabulate(rows, headers=["Check", "Result", "Detail"]))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0
