"""The model and script half of the Client API (a mixin of :class:`smartredis.Client`).

Argument checks live here; the AI.* commands and where copies live are in
:mod:`smartredis._models`. Model and script keys are not prefixed unless
``use_model_ensemble_prefix(True)``; multi-GPU objects are stored as SmartRedis does: one copy
``<name>.GPU:<n>`` per GPU plus ``<name>`` on device ``GPU``.
"""

from __future__ import annotations

import inspect
import os
import sys
import textwrap
import typing as t

from smartredis._keys import KeyBuilder
from smartredis._models import ModelStore
from smartredis._util import api, check_name, typecheck
from smartredis.error import RedisRuntimeError
from smartredis.util import init_default
from smartredis.wire import inference
from smartredis.wire.connection import Address

MULTIGPU_DEVICE = "GPU"
"""The device of the plain ``<name>`` copy a multi-GPU store adds."""

_BATCH_WARNING = (
    "WARNING: min_batch_timeout was not set when a non-zero min_batch_size was selected. \n"
    "Setting a small value (~10ms) for min_batch_timeout may improve performance\n"
)
"""What SmartRedis writes to stderr for a min_batch_size without a min_batch_timeout."""

# The checks below come in two groups, in SmartRedis 0.6.1's order: first its Python
# wrapper's (every type check, then device, backend, files and tensor name lists), then its
# C++ client's (names, TF-only node names, GPU ranges, device names, batching options).


def _typecheck_batching(batch_size: int, min_batch_size: int, min_batch_timeout: int) -> None:
    """Type checks of the three batching options."""
    typecheck(batch_size, "batch_size", int)
    typecheck(min_batch_size, "min_batch_size", int)
    typecheck(min_batch_timeout, "min_batch_timeout", int)


def _check_device(device: str) -> str:
    """The device upper-cased; TypeError unless it starts with CPU or GPU (as the wrapper)."""
    device = device.upper()
    if not device.startswith(("CPU", "GPU")):
        raise TypeError("Device argument must start with either CPU or GPU")
    return device


def _check_device_name(device: str) -> None:
    """The C++ client's device check: exactly CPU, or a name containing GPU."""
    if device != "CPU" and "GPU" not in device:
        raise RedisRuntimeError(f"{device} is not a valid device.")


def _check_backend(backend: str) -> str:
    """The backend upper-cased; TypeError unless one of TF, TFLITE, TORCH, ONNX."""
    backend = backend.upper()
    if backend not in inference.BACKENDS:
        raise TypeError(f"Backend type {backend} unsupported")
    return backend


def _check_file(path: str) -> str:
    """The absolute path of a model or script file; FileNotFoundError if it is not a file."""
    absolute = os.path.abspath(path)
    if not os.path.isfile(absolute):
        raise FileNotFoundError(absolute)
    return absolute


def _read_file(path: str) -> bytes:
    """The bytes of a (checked) model or script file (RedisRuntimeError if unreadable)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise RedisRuntimeError(f"Could not read {path!r}: {exc.strerror or exc}") from None


def _name_list(names: str | list[str] | None, what: str) -> list[str]:
    """A name or list of names (None: none) as a list; TypeError for anything else."""
    names = init_default([], names, (list, str))
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        typecheck(name, what, str)
        check_name(name, what)
    return names


def _tensor_args(
    inputs: str | list[str] | None, outputs: str | list[str] | None
) -> tuple[list[str], list[str]]:
    """The input and output names as lists (checked in that order)."""
    return _name_list(inputs, "inputs"), _name_list(outputs, "outputs")


def _model_bytes(model: bytes | bytearray | str) -> bytes:
    """A model's bytes (a str is taken as its UTF-8 bytes, as SmartRedis takes it)."""
    typecheck(model, "model", (bytes, bytearray, str))
    return model.encode() if isinstance(model, str) else bytes(model)


def _check_callable(function: t.Callable[..., t.Any]) -> None:
    """TypeError unless ``function`` is callable."""
    if not callable(function):
        raise TypeError(f"Argument provided for function, {type(function)}, is not callable")


def _function_source(function: t.Callable[..., t.Any]) -> str:
    """The source of a function, dedented (so a nested one compiles too), for TorchScript."""
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as exc:
        raise ValueError(f"Cannot read the source of {function!r}: {exc}") from None


def _check_model_store(name: str, backend: str, inputs: list[str], outputs: list[str]) -> None:
    """The C++ client's first checks of a model store: a name, node names only for TF."""
    if not name:
        raise ValueError("name is a required parameter of set_model.")
    if backend not in inference.IO_BACKENDS:
        if inputs:
            raise ValueError("INPUTS in the model set command is only valid for TF models")
        if outputs:
            raise ValueError("OUTPUTS in the model set command is only valid for TF models")


def _check_gpus(first_gpu: int, num_gpus: int, period: bool = False) -> None:
    """ValueError unless ``first_gpu >= 0`` and ``num_gpus >= 1`` (SmartRedis's messages:
    the first ends with a period in some of its methods, ``period``, and not in others)."""
    if first_gpu < 0:
        raise ValueError("first_gpu must be a non-negative integer" + ("." if period else ""))
    if num_gpus < 1:
        raise ValueError("num_gpus must be a positive integer.")


def _check_batching(batch_size: int, min_batch_size: int, min_batch_timeout: int) -> None:
    """SmartRedis's batching checks: two refusals, and a warning on stderr."""
    if batch_size == 0 and (min_batch_size > 0 or min_batch_timeout > 0):
        raise RedisRuntimeError(
            "batch_size must be non-zero if min_batch_size or min_batch_timeout is used; "
            "otherwise batching will not be performed."
        )
    if min_batch_timeout > 0 and min_batch_size == 0:
        raise RedisRuntimeError(
            "min_batch_size must be non-zero if min_batch_timeout is used; otherwise the "
            "min_batch_timeout parameter is ignored."
        )
    if min_batch_size > 0 and min_batch_timeout == 0:
        sys.stderr.write(_BATCH_WARNING)
        sys.stderr.flush()


def _gpu_name(name: str, gpu: int) -> str:
    """The name of a multi-GPU object's copy for GPU ``gpu``."""
    return f"{name}.GPU:{gpu}"


def _gpu_for(offset: int, first_gpu: int, num_gpus: int) -> int:
    """The GPU a multi-GPU run with ``offset`` (e.g. an MPI rank) uses."""
    return first_gpu + offset % num_gpus


class ModelMethods:
    """Models and scripts: store them, run them in the database, read their statistics."""

    _models: ModelStore
    _keys: KeyBuilder

    def _node(self, address: str) -> Address:
        raise NotImplementedError

    def _poll(self, check: t.Callable[[], bool], poll_frequency_ms: int, num_tries: int) -> bool:
        raise NotImplementedError

    def _tensor_keys(self, inputs: list[str], outputs: list[str]) -> tuple[list[str], list[str]]:
        """Input keys (read with the data source's prefix) and output keys (with SSKEYOUT)."""
        return (
            [self._keys.tensor(n, True) for n in inputs],
            [self._keys.tensor(n, False) for n in outputs],
        )

    def _model_key(self, name: str, on_db: bool) -> str:
        """The key of model or script ``name`` (prefixed only if model prefixing is on)."""
        typecheck(name, "name", str)
        return self._keys.model(name, on_db)

    # -- models ---------------------------------------------------------------------------------
    @api
    def set_model(
        self,
        name: str,
        model: bytes,
        backend: str,
        device: str = "CPU",
        batch_size: int = 0,
        min_batch_size: int = 0,
        min_batch_timeout: int = 0,
        tag: str = "",
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        """Store a model (TORCH, ONNX, TF or TFLITE bytes); it is loaded at once.

        :param device: CPU, GPU or GPU:<n> (any case)
        :param batch_size: batch up to this many samples of concurrent calls (0: no batching)
        :param min_batch_size: wait for at least this many samples before running a batch
        :param min_batch_timeout: ms to wait for ``min_batch_size`` before running anyway
        :param inputs: input node names (TF only)
        :param outputs: output node names (TF only)
        :raises TypeError: an argument of the wrong type, a device not starting with CPU or
            GPU, or an unknown backend
        :raises ValueError: an empty name, or node names for a backend other than TF
        :raises RedisRuntimeError: the model could not be loaded (the message says why), or
            min_batch_size/min_batch_timeout without batch_size
        """
        typecheck(name, "name", str)
        typecheck(backend, "backend", str)
        typecheck(device, "device", str)
        _typecheck_batching(batch_size, min_batch_size, min_batch_timeout)
        typecheck(tag, "tag", str)
        device, backend = _check_device(device), _check_backend(backend)
        nodes = _tensor_args(inputs, outputs)
        batching = (batch_size, min_batch_size, min_batch_timeout)
        self._store_model(name, _model_bytes(model), backend, device, None, batching, tag, nodes)

    @api
    def set_model_from_file(
        self,
        name: str,
        model_file: str,
        backend: str,
        device: str = "CPU",
        batch_size: int = 0,
        min_batch_size: int = 0,
        min_batch_timeout: int = 0,
        tag: str = "",
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        """Store the model in ``model_file`` (see :meth:`set_model`).

        :raises FileNotFoundError: there is no file ``model_file``
        """
        typecheck(name, "name", str)
        typecheck(model_file, "model_file", str)
        typecheck(backend, "backend", str)
        typecheck(device, "device", str)
        _typecheck_batching(batch_size, min_batch_size, min_batch_timeout)
        typecheck(tag, "tag", str)
        device, backend = _check_device(device), _check_backend(backend)
        path = _check_file(model_file)
        nodes = _tensor_args(inputs, outputs)
        batching = (batch_size, min_batch_size, min_batch_timeout)
        self._store_model(name, _read_file(path), backend, device, None, batching, tag, nodes)

    @api
    def set_model_multigpu(
        self,
        name: str,
        model: bytes,
        backend: str,
        first_gpu: int,
        num_gpus: int,
        batch_size: int = 0,
        min_batch_size: int = 0,
        min_batch_timeout: int = 0,
        tag: str = "",
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        """Store one copy of a model per GPU, ``name.GPU:<n>`` for each of ``num_gpus`` GPUs
        from ``first_gpu``, and ``name`` on device GPU.

        :raises ValueError: ``first_gpu < 0`` or ``num_gpus < 1`` (nothing is stored)
        """
        typecheck(name, "name", str)
        typecheck(backend, "backend", str)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        _typecheck_batching(batch_size, min_batch_size, min_batch_timeout)
        typecheck(tag, "tag", str)
        backend = _check_backend(backend)
        nodes = _tensor_args(inputs, outputs)
        batching = (batch_size, min_batch_size, min_batch_timeout)
        gpus = (first_gpu, num_gpus)
        self._store_model(name, _model_bytes(model), backend, None, gpus, batching, tag, nodes)

    @api
    def set_model_from_file_multigpu(
        self,
        name: str,
        model_file: str,
        backend: str,
        first_gpu: int,
        num_gpus: int,
        batch_size: int = 0,
        min_batch_size: int = 0,
        min_batch_timeout: int = 0,
        tag: str = "",
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        """Store the model in ``model_file`` once per GPU (see :meth:`set_model_multigpu`)."""
        typecheck(name, "name", str)
        typecheck(model_file, "model_file", str)
        typecheck(backend, "backend", str)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        _typecheck_batching(batch_size, min_batch_size, min_batch_timeout)
        typecheck(tag, "tag", str)
        backend = _check_backend(backend)
        path = _check_file(model_file)
        nodes = _tensor_args(inputs, outputs)
        batching = (batch_size, min_batch_size, min_batch_timeout)
        gpus = (first_gpu, num_gpus)
        self._store_model(name, _read_file(path), backend, None, gpus, batching, tag, nodes)

    def _store_model(
        self,
        name: str,
        model: bytes,
        backend: str,
        device: str | None,
        gpus: tuple[int, int] | None,
        batching: tuple[int, int, int],
        tag: str,
        nodes: tuple[list[str], list[str]],
    ) -> None:
        """The set_model forms after their argument checks: the C++ client's checks, then the
        store on ``device`` or (``gpus``: first GPU and count) once per GPU plus on GPU."""
        _check_model_store(name, backend, *nodes)
        if gpus is not None:
            _check_gpus(*gpus)
        else:
            _check_device_name(t.cast(str, device))
        _check_batching(*batching)
        options = {
            "tag": tag,
            "batch_size": batching[0],
            "min_batch_size": batching[1],
            "min_batch_timeout": batching[2],
            "inputs": nodes[0],
            "outputs": nodes[1],
        }
        if gpus is None:
            key = self._model_key(name, False)
            self._models.set_model(key, model, backend, t.cast(str, device), options)
            return
        first_gpu, num_gpus = gpus
        for gpu in range(first_gpu, first_gpu + num_gpus):
            key = self._model_key(_gpu_name(name, gpu), False)
            self._models.set_model(key, model, backend, f"GPU:{gpu}", options)
        self._models.set_model(
            self._model_key(name, False), model, backend, MULTIGPU_DEVICE, options
        )

    @api
    def set_model_chunk_size(self, chunk_size: int) -> None:
        """Send models in pieces of at most ``chunk_size`` bytes; the database also answers
        get_model in pieces of that size (AI.CONFIG MODEL_CHUNK_SIZE on every node)."""
        typecheck(chunk_size, "chunk_size", int)
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        self._models.set_chunk_size(chunk_size)

    @api
    def get_model(self, name: str) -> bytes:
        """The bytes of the model ``name``.

        :raises RedisKeyError: no model is stored under that name (also a RedisRuntimeError)
        """
        return self._models.get_model(self._model_key(name, True))

    @api
    def model_exists(self, name: str) -> bool:
        """Whether a model or script is stored as ``name``: one EXISTS on its key (in a
        cluster on the copy of the lowest slot range, as SmartRedis checks)."""
        return self._models.exists(self._model_key(name, True))

    @api
    def poll_model(self, name: str, poll_frequency_ms: int, num_tries: int) -> bool:
        """Check up to ``num_tries`` times, ``poll_frequency_ms`` apart, for the model ``name``."""
        key = self._model_key(name, True)
        return self._poll(lambda: self._models.exists(key), poll_frequency_ms, num_tries)

    @api
    def delete_model(self, name: str) -> None:
        """Remove the model ``name`` (every shard's copy).

        :raises RedisKeyError: no model is stored under that name (also a RedisRuntimeError)
        """
        self._models.delete(self._model_key(name, True), inference.model_del_command)

    @api
    def delete_model_multigpu(self, name: str, first_gpu: int, num_gpus: int) -> None:
        """Remove the per-GPU copies of the model ``name`` and ``name`` itself."""
        self._delete_multigpu(name, first_gpu, num_gpus, inference.model_del_command)

    def _delete_multigpu(
        self,
        name: str,
        first_gpu: int,
        num_gpus: int,
        command: t.Callable[[inference.Key], tuple[t.Any, ...]],
    ) -> None:
        """Remove the per-GPU copies of a model or script and the plain copy."""
        typecheck(name, "name", str)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        _check_gpus(first_gpu, num_gpus)
        for gpu in range(first_gpu, first_gpu + num_gpus):
            self._models.delete(self._model_key(_gpu_name(name, gpu), True), command)
        self._models.delete(self._model_key(name, True), command)

    @api
    def run_model(
        self,
        name: str,
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        """Run the model ``name`` on the tensors ``inputs``, storing results as ``outputs``.

        The database waits up to ``SR_MODEL_TIMEOUT`` ms (default 60000000) for the run.

        :raises RedisRuntimeError: the backend failed (its message says why)
        :raises RedisTimeoutError: no answer within SR_CMD_TIMEOUT
        """
        typecheck(name, "name", str)
        names = _tensor_args(inputs, outputs)
        self._models.run_model(self._model_key(name, True), *self._tensor_keys(*names))

    @api
    def run_model_multigpu(
        self,
        name: str,
        offset: int,
        first_gpu: int,
        num_gpus: int,
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        """Run the copy of model ``name`` on GPU ``first_gpu + offset % num_gpus``."""
        typecheck(name, "name", str)
        typecheck(offset, "offset", int)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        names = _tensor_args(inputs, outputs)
        _check_gpus(first_gpu, num_gpus, period=True)
        key = self._model_key(_gpu_name(name, _gpu_for(offset, first_gpu, num_gpus)), True)
        self._models.run_model(key, *self._tensor_keys(*names))

    # -- scripts --------------------------------------------------------------------------------
    @api
    def set_script(self, name: str, script: str, device: str = "CPU") -> None:
        """Store TorchScript source; its functions can then be called with run_script.

        :raises TypeError: an argument of the wrong type, or a device not starting with CPU
            or GPU
        :raises RedisRuntimeError: the source does not compile (the message says why)
        """
        typecheck(name, "name", str)
        typecheck(script, "script", str)
        typecheck(device, "device", str)
        self._set_script(name, script, _check_device(device))

    def _set_script(self, name: str, script: str, device: str) -> None:
        """Store a checked script on ``device`` (after the C++ client's device check)."""
        _check_device_name(device)
        check_name(name, "name")
        self._models.set_script(self._model_key(name, False), script, device)

    @api
    def set_script_from_file(self, name: str, file: str, device: str = "CPU") -> None:
        """Store the TorchScript source in ``file``.

        :raises FileNotFoundError: there is no file ``file``
        """
        typecheck(name, "name", str)
        typecheck(file, "file", str)
        typecheck(device, "device", str)
        device = _check_device(device)
        path = _check_file(file)
        self._set_script(name, _read_file(path).decode(), device)

    @api
    def set_function(
        self, name: str, function: t.Callable[..., t.Any], device: str = "CPU"
    ) -> None:
        """Store a Python function as TorchScript; call it by its own name with run_script."""
        typecheck(name, "name", str)
        typecheck(device, "device", str)
        _check_callable(function)
        device = _check_device(device)
        self._set_script(name, _function_source(function), device)

    def _set_script_multigpu(self, name: str, script: str, first_gpu: int, num_gpus: int) -> None:
        """Store a checked script once per GPU and on device GPU."""
        _check_gpus(first_gpu, num_gpus, period=True)
        check_name(name, "name")
        for gpu in range(first_gpu, first_gpu + num_gpus):
            key = self._model_key(_gpu_name(name, gpu), False)
            self._models.set_script(key, script, f"GPU:{gpu}")
        self._models.set_script(self._model_key(name, False), script, MULTIGPU_DEVICE)

    @api
    def set_script_multigpu(self, name: str, script: str, first_gpu: int, num_gpus: int) -> None:
        """Store one copy of a script per GPU, ``name.GPU:<n>``, and ``name`` on device GPU.

        :raises ValueError: ``first_gpu < 0`` or ``num_gpus < 1`` (nothing is stored)
        """
        typecheck(name, "name", str)
        typecheck(script, "script", str)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        self._set_script_multigpu(name, script, first_gpu, num_gpus)

    @api
    def set_script_from_file_multigpu(
        self, name: str, file: str, first_gpu: int, num_gpus: int
    ) -> None:
        """Store the script in ``file`` once per GPU."""
        typecheck(name, "name", str)
        typecheck(file, "file", str)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        path = _check_file(file)
        self._set_script_multigpu(name, _read_file(path).decode(), first_gpu, num_gpus)

    @api
    def set_function_multigpu(
        self, name: str, function: t.Callable[..., t.Any], first_gpu: int, num_gpus: int
    ) -> None:
        """Store a Python function as TorchScript once per GPU."""
        typecheck(name, "name", str)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        _check_callable(function)
        self._set_script_multigpu(name, _function_source(function), first_gpu, num_gpus)

    @api
    def get_script(self, name: str) -> str:
        """The source of the script ``name``.

        :raises RedisKeyError: no script is stored under that name (also a RedisRuntimeError)
        """
        return self._models.get_script(self._model_key(name, True))

    @api
    def delete_script(self, name: str) -> None:
        """Remove the script ``name`` (every shard's copy).

        :raises RedisKeyError: no script is stored under that name (also a RedisRuntimeError)
        """
        self._models.delete(self._model_key(name, True), inference.script_del_command)

    @api
    def delete_script_multigpu(self, name: str, first_gpu: int, num_gpus: int) -> None:
        """Remove the per-GPU copies of the script ``name`` and ``name`` itself."""
        self._delete_multigpu(name, first_gpu, num_gpus, inference.script_del_command)

    @api
    def run_script(
        self,
        name: str,
        fn_name: str,
        inputs: str | list[str],
        outputs: str | list[str],
    ) -> None:
        """Call ``fn_name`` of the script ``name`` on ``inputs``, storing ``outputs``.

        :raises RedisRuntimeError: the script failed (its message says why)
        """
        typecheck(name, "name", str)
        typecheck(fn_name, "fn_name", str)
        names = _tensor_args(inputs, outputs)
        key = self._model_key(name, True)
        self._models.run_script(key, fn_name, *self._tensor_keys(*names))

    @api
    def run_script_multigpu(
        self,
        name: str,
        fn_name: str,
        inputs: str | list[str],
        outputs: str | list[str],
        offset: int,
        first_gpu: int,
        num_gpus: int,
    ) -> None:
        """Call the copy of script ``name`` on GPU ``first_gpu + offset % num_gpus``."""
        typecheck(name, "name", str)
        typecheck(fn_name, "fn_name", str)
        typecheck(offset, "offset", int)
        typecheck(first_gpu, "first_gpu", int)
        typecheck(num_gpus, "num_gpus", int)
        names = _tensor_args(inputs, outputs)
        _check_gpus(first_gpu, num_gpus)
        key = self._model_key(_gpu_name(name, _gpu_for(offset, first_gpu, num_gpus)), True)
        self._models.run_script(key, fn_name, *self._tensor_keys(*names))

    # -- statistics -----------------------------------------------------------------------------
    @api
    def get_ai_info(
        self, address: list[str], key: str, reset_stat: bool = False
    ) -> list[dict[str, str]]:
        """Run statistics of the model or script at ``key`` on each node in ``address``.

        As SmartRedis: ``key`` is used as given (no ensemble prefix), and each dict maps
        key, type, backend, device, tag, duration (µs), samples, calls and errors to strings.
        With ``reset_stat`` the statistics are returned, then zeroed.

        :raises TypeError: ``address`` is not a list (of "host:port" strings)
        """
        typecheck(address, "address", list)
        typecheck(key, "key", str)
        typecheck(reset_stat, "reset_stat", bool)
        return [self._models.info(self._node(a), key, reset_stat) for a in address]
