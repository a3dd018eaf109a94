"""ML backends of the inference worker: load a model or script, run it on numpy arrays.

Frameworks are imported when the first model of their kind is loaded, so a worker that
serves only ONNX never imports torch. Missing frameworks give a BackendUnavailable that names
the extra to install.
"""

from __future__ import annotations

import importlib
import io
import sys
import typing as t
from dataclasses import dataclass

import numpy as np

Arrays = list[np.ndarray]


class BackendUnavailable(RuntimeError):
    """The framework a backend needs is not installed."""


_EXTRAS = {"torch": "ml", "onnxruntime": "ml", "tensorflow": "tf"}


@dataclass
class Threads:
    """The backends' thread settings (the database's inter_op/intra_op_threads); None leaves
    a framework's default."""

    inter_op: int | None = None
    intra_op: int | None = None


THREADS = Threads()


def configure_threads(inter_op: int | None, intra_op: int | None) -> None:
    """Set the thread counts the frameworks get when they are first imported."""
    THREADS.inter_op, THREADS.intra_op = inter_op, intra_op


def _framework(module: str) -> t.Any:
    fresh = module not in sys.modules
    try:
        framework = importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailable(
            f"The {module} package is not installed where the database runs; install it, "
            f"e.g. pip install 'smartsim-py[{_EXTRAS[module]}]' ({exc})"
        ) from None
    if fresh and module == "torch":  # only possible before torch runs anything in parallel
        # Without the profiling optimiser the first call of a model costs ~1 ms instead of
        # ~30 ms, and later calls of small, shape-varying batches run as fast. Set once for
        # the worker (what torch.jit.optimized_execution(False) sets per call).
        framework._C._set_graph_executor_optimize(False)
        if THREADS.intra_op:
            framework.set_num_threads(THREADS.intra_op)
        if THREADS.inter_op:
            framework.set_num_interop_threads(THREADS.inter_op)
    if fresh and module == "tensorflow":
        threading = framework.config.threading
        if THREADS.intra_op:
            threading.set_intra_op_parallelism_threads(THREADS.intra_op)
        if THREADS.inter_op:
            threading.set_inter_op_parallelism_threads(THREADS.inter_op)
    return framework


def torch_device(device: str) -> str:
    """SmartSim's device name (CPU, GPU, GPU:n) as torch's (cpu, cuda, cuda:n)."""
    head, _, number = device.upper().partition(":")
    if head == "CPU":
        return "cpu"
    return f"cuda:{number}" if number else "cuda"


class Runner(t.Protocol):
    """A loaded model: numpy inputs in, numpy outputs out."""

    def __call__(self, inputs: Arrays) -> Arrays: ...


def _torch_outputs(result: t.Any) -> Arrays:
    items = result if isinstance(result, (tuple, list)) else [result]
    return [(item if item.device.type == "cpu" else item.cpu()).numpy() for item in items]


def _torch_inputs(torch: t.Any, inputs: Arrays, device: str) -> list[t.Any]:
    """numpy arrays as tensors on ``device`` (sharing memory on the CPU; read-only buffers
    are copied, as torch cannot wrap them)."""
    tensors = [
        torch.from_numpy(array if array.flags.writeable else array.copy()) for array in inputs
    ]
    return tensors if device == "cpu" else [tensor.to(device) for tensor in tensors]


class TorchModel:
    """A TorchScript module."""

    def __init__(self, blob: bytes, device: str) -> None:
        self._torch = _framework("torch")
        self._device = torch_device(device)
        module = self._torch.jit.load(io.BytesIO(blob), map_location=self._device)
        module.eval()
        try:  # weights as constants: a third less interpreter work per call of a small model
            module = self._torch.jit.freeze(module)
        except Exception:  # noqa: BLE001 - some modules cannot be frozen; they run as they are
            pass
        self._module = module

    def __call__(self, inputs: Arrays) -> Arrays:
        torch = self._torch
        with torch.inference_mode():
            return _torch_outputs(self._module(*_torch_inputs(torch, inputs, self._device)))


class OnnxModel:
    """An ONNX graph run by onnxruntime; inputs are matched to the graph's inputs in order."""

    def __init__(self, blob: bytes, device: str) -> None:
        ort = _framework("onnxruntime")
        providers: list[str | tuple[str, dict[str, int]]] = ["CPUExecutionProvider"]
        head, _, number = device.upper().partition(":")
        if head == "GPU":
            providers = [("CUDAExecutionProvider", {"device_id": int(number or 0)}), *providers]
        options = ort.SessionOptions()
        if THREADS.intra_op:
            options.intra_op_num_threads = THREADS.intra_op
        if THREADS.inter_op:
            options.inter_op_num_threads = THREADS.inter_op
        self._session = ort.InferenceSession(blob, sess_options=options, providers=providers)
        self._inputs = [node.name for node in self._session.get_inputs()]

    def __call__(self, inputs: Arrays) -> Arrays:
        if len(inputs) != len(self._inputs):
            raise ValueError(
                f"the ONNX model takes {len(self._inputs)} input(s) ({', '.join(self._inputs)}), "
                f"got {len(inputs)}"
            )
        return list(self._session.run(None, dict(zip(self._inputs, inputs, strict=True))))


class TensorFlowModel:
    """A frozen TensorFlow graph (GraphDef bytes) with named input and output nodes."""

    def __init__(self, blob: bytes, device: str, inputs: list[str], outputs: list[str]) -> None:
        tf = _framework("tensorflow")
        if not inputs or not outputs:
            raise ValueError("a TF model needs the names of its input and output nodes")
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(blob)
        head, _, number = device.upper().partition(":")
        self._tf = tf
        self._device = f"/{'GPU' if head == 'GPU' else 'CPU'}:{number or 0}"
        with tf.device(self._device):
            self._fn = tf.compat.v1.wrap_function(
                lambda: tf.compat.v1.import_graph_def(graph_def, name=""), []
            ).prune([f"{n}:0" for n in inputs], [f"{n}:0" for n in outputs])

    def __call__(self, inputs: Arrays) -> Arrays:
        tf = self._tf
        with tf.device(self._device):
            results = self._fn(*[tf.convert_to_tensor(array) for array in inputs])
        return [out.numpy() for out in results]


class TFLiteModel:
    """A TensorFlow Lite flatbuffer run by the TFLite interpreter."""

    def __init__(self, blob: bytes, device: str) -> None:
        tf = _framework("tensorflow")
        self._interpreter = tf.lite.Interpreter(model_content=blob)
        self._interpreter.allocate_tensors()

    def __call__(self, inputs: Arrays) -> Arrays:
        interp = self._interpreter
        details = interp.get_input_details()
        if len(inputs) != len(details):
            raise ValueError(f"the TFLite model takes {len(details)} input(s), got {len(inputs)}")
        for detail, array in zip(details, inputs, strict=True):
            interp.resize_tensor_input(detail["index"], array.shape)
        interp.allocate_tensors()
        for detail, array in zip(interp.get_input_details(), inputs, strict=True):
            interp.set_tensor(detail["index"], array)
        interp.invoke()
        return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def load_model(
    backend: str, blob: bytes, device: str, inputs: list[str], outputs: list[str]
) -> Runner:
    """Load a model of ``backend`` (TORCH, ONNX, TF, TFLITE) onto ``device``."""
    if backend == "TORCH":
        return TorchModel(blob, device)
    if backend == "ONNX":
        return OnnxModel(blob, device)
    if backend == "TF":
        return TensorFlowModel(blob, device, inputs, outputs)
    if backend == "TFLITE":
        return TFLiteModel(blob, device)
    raise ValueError(f"unknown backend {backend!r}; use TORCH, ONNX, TF or TFLITE")


class TorchScript:
    """TorchScript source whose functions are called by name."""

    def __init__(self, source: str, device: str) -> None:
        self._torch = _framework("torch")
        self._device = torch_device(device)
        # Names the script may use without importing them, as in RedisAI's scripts.
        names = {"torch": self._torch, "Tensor": self._torch.Tensor, **vars(t)}
        self._unit = self._torch.jit.CompilationUnit()
        self._unit.define(source, rcb=names.get)

    def call(
        self,
        function: str,
        inputs: Arrays,
        keys: list[str] | None = None,
        args: list[str] | None = None,
        variadic: int = -1,
    ) -> Arrays:
        """Call ``function`` on the inputs (as tensors on the script's device); a RedisAI
        list-form entry point also gets the KEYS and ARGS of AI.SCRIPTEXECUTE, and inputs
        from ``variadic`` on (AI.SCRIPTRUN's ``$``) are passed as one list."""
        torch = self._torch
        try:
            entry = getattr(self._unit, function)
        except AttributeError:
            raise ValueError(f"the script has no function {function!r}") from None
        with torch.inference_mode():
            tensors = _torch_inputs(torch, inputs, self._device)
            if variadic >= 0:
                tensors = [*tensors[:variadic], tensors[variadic:]]
            return _torch_outputs(entry(*_script_arguments(entry, tensors, keys, args)))


def _script_arguments(
    entry: t.Any, tensors: list[t.Any], keys: list[str] | None, args: list[str] | None
) -> list[t.Any]:
    """Positional tensors, or RedisAI's ``(tensors: List[Tensor], keys, args)`` form."""
    params = list(entry.schema.arguments)
    if params and str(params[0].type) in ("Tensor[]", "List[Tensor]"):
        return [tensors, keys or [], args or []][: len(params)]
    if len(params) != len(tensors):
        raise ValueError(f"{entry.name} takes {len(params)} tensor(s), got {len(tensors)}")
    return tensors
