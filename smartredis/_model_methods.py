"""The model and script half of the Client API (a mixin of :class:`smartredis.Client`).

Argument checks live here; the AI.* commands and where copies live are in
:mod:`smartredis._models`. Model and script keys are not prefixed unless
``use_model_ensemble_prefix(True)``; multi-GPU objects are stored as SmartRedis does: one copy
``<name>.GPU:<n>`` per GPU plus ``<name>`` on device ``GPU``.
"""

from __future__ import annotations

import inspect
import textwrap
import typing as t

from smartredis._keys import KeyBuilder
from smartredis._models import ModelStore
from smartredis._util import api, check_name, typecheck
from smartredis.error import RedisRuntimeError
from smartredis.wire import inference
from smartredis.wire.connection import Address

MULTIGPU_DEVICE = "GPU"
"""The device of the plain ``<name>`` copy a multi-GPU store adds."""


def _check_device(device: str) -> str:
    """The device, upper-cased as SmartRedis does; CPU, GPU or GPU:<n>."""
    typecheck(device, "device", str)
    device = device.upper()
    head, _, number = device.partition(":")
    if head not in ("CPU", "GPU") or (number and (head != "GPU" or not number.isdigit())):
        raise ValueError(f"Device {device!r} is not CPU, GPU or GPU:<n>")
    return device


def _check_backend(backend: str) -> str:
    """The backend, upper-cased; one of TF, TFLITE, TORCH, ONNX."""
    typecheck(backend, "backend", str)
    if backend.upper() not in inference.BACKENDS:
        raise ValueError(f"Backend {backend!r} is not one of {', '.join(inference.BACKENDS)}")
    return backend.upper()


def _name_list(names: str | list[str] | None, what: str) -> list[str]:
    """A name or list of names (None: none) as a checked list."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    typecheck(names, what, list)
    for name in names:
        typecheck(name, what, str)
        check_name(name, what)
    return list(names)


def _check_batching(batch_size: int, min_batch_size: int, min_batch_timeout: int) -> None:
    """SmartRedis's checks of the batching options (RedisRuntimeError, as it raises)."""
    for value, name in (
        (batch_size, "batch_size"),
        (min_batch_size, "min_batch_size"),
        (min_batch_timeout, "min_batch_timeout"),
    ):
        typecheck(value, name, int)
        if value < 0:
            raise ValueError(f"Argument {name} must not be negative, got {value}")
    if batch_size == 0 and (min_batch_size > 0 or min_batch_timeout > 0):
        raise RedisRuntimeError(
            "batch_size must be non-zero if min_batch_size or min_batch_timeout is used; "
            "otherwise batching will not be performed."
        )
    if min_batch_size == 0 and min_batch_timeout > 0:
        raise RedisRuntimeError(
            "min_batch_size must be non-zero if min_batch_timeout is used; otherwise the "
            "min_batch_timeout parameter is ignored."
        )
    if min_batch_size > batch_size:
        raise ValueError(
            f"min_batch_size ({min_batch_size}) must not exceed batch_size ({batch_size})"
        )


def _model_options(
    backend: str,
    batch_size: int,
    min_batch_size: int,
    min_batch_timeout: int,
    tag: str,
    inputs: str | list[str] | None,
    outputs: str | list[str] | None,
) -> dict[str, t.Any]:
    """The checked options of AI.MODELSTORE (keyword arguments of model_store_command)."""
    _check_batching(batch_size, min_batch_size, min_batch_timeout)
    typecheck(tag, "tag", str)
    nodes = _name_list(inputs, "inputs"), _name_list(outputs, "outputs")
    if backend not in inference.IO_BACKENDS and (nodes[0] or nodes[1]):
        raise ValueError("INPUTS in the model set command is only valid for TF models")
    return {
        "tag": tag,
        "batch_size": batch_size,
        "min_batch_size": min_batch_size,
        "min_batch_timeout": min_batch_timeout,
        "inputs": nodes[0],
        "outputs": nodes[1],
    }


def _gpu_range(first_gpu: int, num_gpus: int) -> list[int]:
    """The GPUs ``first_gpu .. first_gpu + num_gpus - 1``, checked."""
    typecheck(first_gpu, "first_gpu", int)
    typecheck(num_gpus, "num_gpus", int)
    if first_gpu < 0 or num_gpus < 1:
        raise ValueError(f"first_gpu must be >= 0 and num_gpus >= 1, got {first_gpu}, {num_gpus}")
    return list(range(first_gpu, first_gpu + num_gpus))


def _gpu_name(name: str, gpu: int) -> str:
    """The name of a multi-GPU object's copy for GPU ``gpu``."""
    return f"{name}.GPU:{gpu}"


def _gpu_for(offset: int, first_gpu: int, num_gpus: int) -> int:
    """The GPU a multi-GPU run with ``offset`` (e.g. an MPI rank) uses."""
    typecheck(offset, "offset", int)
    return _gpu_range(first_gpu, num_gpus)[offset % num_gpus]


def _read_file(path: str, what: str) -> bytes:
    """The bytes of a model or script file (RedisRuntimeError if it cannot be read)."""
    typecheck(path, what, str)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise RedisRuntimeError(f"Could not read {what} {path!r}: {exc.strerror or exc}") from None


def _function_source(function: t.Callable[..., t.Any]) -> str:
    """The source of a function, dedented (so a nested one compiles too), for TorchScript."""
    if not callable(function):
        raise TypeError(f"Argument function is of type {type(function)}, not a function")
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as exc:
        raise ValueError(f"Cannot read the source of {function!r}: {exc}") from None


def _check_model(name: str, model: bytes) -> None:
    """Check a model's name and bytes."""
    typecheck(name, "name", str)
    check_name(name, "name")
    typecheck(model, "model", (bytes, bytearray))


def _check_script(name: str, script: str) -> None:
    """Check a script's name and source."""
    typecheck(name, "name", str)
    check_name(name, "name")
    typecheck(script, "script", str)


class ModelMethods:
    """Models and scripts: store them, run them in the database, read their statistics."""

    _models: ModelStore
    _keys: KeyBuilder

    def _node(self, address: str) -> Address:
        raise NotImplementedError

    def _poll(self, check: t.Callable[[], bool], poll_frequency_ms: int, num_tries: int) -> bool:
        raise NotImplementedError

    def _tensor_keys(
        self, inputs: str | list[str] | None, outputs: str | list[str] | None
    ) -> tuple[list[str], list[str]]:
        """Input keys (read with the data source's prefix) and output keys (with SSKEYOUT)."""
        return (
            [self._keys.tensor(n, True) for n in _name_list(inputs, "inputs")],
            [self._keys.tensor(n, False) for n in _name_list(outputs, "outputs")],
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

        :param batch_size: batch up to this many samples of concurrent calls (0: no batching)
        :param min_batch_size: wait for at least this many samples before running a batch
        :param min_batch_timeout: ms to wait for ``min_batch_size`` before running anyway
        :param inputs: input node names (TF only)
        :param outputs: output node names (TF only)
        :raises RedisRuntimeError: the model could not be loaded (the message says why), or
            min_batch_size/min_batch_timeout without batch_size
        """
        self._set_model(
            name,
            model,
            backend,
            device,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            inputs,
            outputs,
        )

    def _set_model(
        self,
        name: str,
        model: bytes,
        backend: str,
        device: str,
        batch_size: int,
        min_batch_size: int,
        min_batch_timeout: int,
        tag: str,
        inputs: str | list[str] | None,
        outputs: str | list[str] | None,
    ) -> None:
        """set_model without the API wrapper (shared with set_model_from_file)."""
        _check_model(name, model)
        backend, device = _check_backend(backend), _check_device(device)
        options = _model_options(
            backend, batch_size, min_batch_size, min_batch_timeout, tag, inputs, outputs
        )
        self._models.set_model(self._model_key(name, False), model, backend, device, options)

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
        """Store the model in ``model_file`` (see :meth:`set_model`)."""
        self._set_model(
            name,
            _read_file(model_file, "model_file"),
            backend,
            device,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            inputs,
            outputs,
        )

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
        from ``first_gpu``, and ``name`` on device GPU."""
        self._set_model_multigpu(
            name,
            model,
            backend,
            first_gpu,
            num_gpus,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            inputs,
            outputs,
        )

    def _set_model_multigpu(
        self,
        name: str,
        model: bytes,
        backend: str,
        first_gpu: int,
        num_gpus: int,
        batch_size: int,
        min_batch_size: int,
        min_batch_timeout: int,
        tag: str,
        inputs: str | list[str] | None,
        outputs: str | list[str] | None,
    ) -> None:
        """set_model_multigpu without the API wrapper (shared with its from_file form)."""
        _check_model(name, model)
        backend = _check_backend(backend)
        gpus = _gpu_range(first_gpu, num_gpus)
        options = _model_options(
            backend, batch_size, min_batch_size, min_batch_timeout, tag, inputs, outputs
        )
        for gpu in gpus:
            key = self._model_key(_gpu_name(name, gpu), False)
            self._models.set_model(key, model, backend, f"GPU:{gpu}", options)
        self._models.set_model(
            self._model_key(name, False), model, backend, MULTIGPU_DEVICE, options
        )

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
        self._set_model_multigpu(
            name,
            _read_file(model_file, "model_file"),
            backend,
            first_gpu,
            num_gpus,
            batch_size,
            min_batch_size,
            min_batch_timeout,
            tag,
            inputs,
            outputs,
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
        """Whether a model (or anything else) is stored under the model key ``name``."""
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
        typecheck(name, "name", str)
        for gpu in _gpu_range(first_gpu, num_gpus):
            key = self._model_key(_gpu_name(name, gpu), True)
            self._models.delete(key, inference.model_del_command)
        self._models.delete(self._model_key(name, True), inference.model_del_command)

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
        key = self._model_key(name, True)
        self._models.run_model(key, *self._tensor_keys(inputs, outputs))

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
        key = self._model_key(_gpu_name(name, _gpu_for(offset, first_gpu, num_gpus)), True)
        self._models.run_model(key, *self._tensor_keys(inputs, outputs))

    # -- scripts --------------------------------------------------------------------------------
    @api
    def set_script(self, name: str, script: str, device: str = "CPU") -> None:
        """Store TorchScript source; its functions can then be called with run_script.

        :raises RedisRuntimeError: the source does not compile (the message says why)
        """
        self._set_script(name, script, device)

    def _set_script(self, name: str, script: str, device: str) -> None:
        """set_script without the API wrapper (shared with its file and function forms)."""
        _check_script(name, script)
        self._models.set_script(self._model_key(name, False), script, _check_device(device))

    @api
    def set_script_from_file(self, name: str, file: str, device: str = "CPU") -> None:
        """Store the TorchScript source in ``file``."""
        self._set_script(name, _read_file(file, "file").decode(), device)

    @api
    def set_function(
        self, name: str, function: t.Callable[..., t.Any], device: str = "CPU"
    ) -> None:
        """Store a Python function as TorchScript; call it by its own name with run_script."""
        self._set_script(name, _function_source(function), device)

    def _set_script_multigpu(self, name: str, script: str, first_gpu: int, num_gpus: int) -> None:
        """set_script_multigpu without the API wrapper (shared with its other forms)."""
        _check_script(name, script)
        for gpu in _gpu_range(first_gpu, num_gpus):
            key = self._model_key(_gpu_name(name, gpu), False)
            self._models.set_script(key, script, f"GPU:{gpu}")
        self._models.set_script(self._model_key(name, False), script, MULTIGPU_DEVICE)

    @api
    def set_script_multigpu(self, name: str, script: str, first_gpu: int, num_gpus: int) -> None:
        """Store one copy of a script per GPU, ``name.GPU:<n>``, and ``name`` on device GPU."""
        self._set_script_multigpu(name, script, first_gpu, num_gpus)

    @api
    def set_script_from_file_multigpu(
        self, name: str, file: str, first_gpu: int, num_gpus: int
    ) -> None:
        """Store the script in ``file`` once per GPU."""
        self._set_script_multigpu(name, _read_file(file, "file").decode(), first_gpu, num_gpus)

    @api
    def set_function_multigpu(
        self, name: str, function: t.Callable[..., t.Any], first_gpu: int, num_gpus: int
    ) -> None:
        """Store a Python function as TorchScript once per GPU."""
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
        typecheck(name, "name", str)
        for gpu in _gpu_range(first_gpu, num_gpus):
            key = self._model_key(_gpu_name(name, gpu), True)
            self._models.delete(key, inference.script_del_command)
        self._models.delete(self._model_key(name, True), inference.script_del_command)

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
        typecheck(fn_name, "fn_name", str)
        key = self._model_key(name, True)
        self._models.run_script(key, fn_name, *self._tensor_keys(inputs, outputs))

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
        key = self._model_key(_gpu_name(name, _gpu_for(offset, first_gpu, num_gpus)), True)
        self._models.run_script(key, fn_name, *self._tensor_keys(inputs, outputs))

    # -- statistics -----------------------------------------------------------------------------
    @api
    def get_ai_info(
        self, address: list[str], key: str, reset_stat: bool = False
    ) -> list[dict[str, str]]:
        """Run statistics of the model or script at ``key`` on each node in ``address``.

        As SmartRedis: ``key`` is used as given (no ensemble prefix), and each dict maps
        key, type, backend, device, tag, duration (µs), samples, calls and errors to strings.
        With ``reset_stat`` the statistics are returned, then zeroed.
        """
        if isinstance(address, str):
            address = [address]
        typecheck(address, "address", list)
        typecheck(key, "key", str)
        typecheck(reset_stat, "reset_stat", bool)
        return [self._models.info(self._node(a), key, reset_stat) for a in address]
