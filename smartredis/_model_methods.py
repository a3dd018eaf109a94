"""The model and script half of the Client API (a mixin of :class:`smartredis.Client`).

Argument checks live here; storage and the requests to inference workers are in
:mod:`smartredis._models`.
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


def _check_device(device: str) -> None:
    typecheck(device, "device", str)
    head, _, number = device.partition(":")
    if head not in ("CPU", "GPU") or (number and (head != "GPU" or not number.isdigit())):
        raise ValueError(f"Device {device!r} is not CPU, GPU or GPU:<n>")


def _name_list(names: str | list[str] | None, what: str) -> list[str]:
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    typecheck(names, what, list)
    for name in names:
        typecheck(name, what, str)
        check_name(name, what)
    return list(names)


def _gpu_range(first_gpu: int, num_gpus: int) -> list[int]:
    typecheck(first_gpu, "first_gpu", int)
    typecheck(num_gpus, "num_gpus", int)
    if first_gpu < 0 or num_gpus < 1:
        raise ValueError(f"first_gpu must be >= 0 and num_gpus >= 1, got {first_gpu}, {num_gpus}")
    return list(range(first_gpu, first_gpu + num_gpus))


def _read_file(path: str, what: str) -> bytes:
    typecheck(path, what, str)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise RedisRuntimeError(f"Could not read {what} {path!r}: {exc.strerror or exc}") from None


def _function_source(function: t.Callable[..., t.Any]) -> str:
    """The source of a function, dedented, for TorchScript to compile."""
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as exc:
        raise ValueError(f"Cannot read the source of {function!r}: {exc}") from None


class ModelMethods:
    """Models and scripts: store them, run them in the database, read their statistics."""

    _models: ModelStore
    _keys: KeyBuilder

    def _node(self, address: str) -> Address:
        raise NotImplementedError

    def _tensor_keys(
        self, inputs: str | list[str] | None, outputs: str | list[str] | None
    ) -> tuple[list[str], list[str]]:
        """Input keys (read with the data source's prefix) and output keys (with SSKEYOUT)."""
        return (
            [self._keys.tensor(n, True) for n in _name_list(inputs, "inputs")],
            [self._keys.tensor(n, False) for n in _name_list(outputs, "outputs")],
        )

    def _poll(self, check: t.Callable[[], bool], poll_frequency_ms: int, num_tries: int) -> bool:
        raise NotImplementedError

    def _model_options(
        self,
        backend: str,
        device: str,
        batch_size: int,
        min_batch_size: int,
        min_batch_timeout: int,
        tag: str,
        inputs: str | list[str] | None,
        outputs: str | list[str] | None,
    ) -> dict[str, t.Any]:
        typecheck(backend, "backend", str)
        if backend.upper() not in inference.BACKENDS:
            raise ValueError(f"Backend {backend!r} is not one of {', '.join(inference.BACKENDS)}")
        _check_device(device)
        for value, name in (
            (batch_size, "batch_size"),
            (min_batch_size, "min_batch_size"),
            (min_batch_timeout, "min_batch_timeout"),
        ):
            typecheck(value, name, int)
            if value < 0:
                raise ValueError(f"Argument {name} must not be negative, got {value}")
        if min_batch_size > batch_size:
            raise ValueError(
                f"min_batch_size ({min_batch_size}) must not exceed batch_size ({batch_size})"
            )
        typecheck(tag, "tag", str)
        return {
            inference.F_BACKEND: backend.upper(),
            inference.F_DEVICE: device,
            inference.F_BATCH: batch_size,
            inference.F_MIN_BATCH: min_batch_size,
            inference.F_MIN_BATCH_TIMEOUT: min_batch_timeout,
            inference.F_TAG: tag,
            inference.F_INPUTS: _name_list(inputs, "inputs"),
            inference.F_OUTPUTS: _name_list(outputs, "outputs"),
        }

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
        :raises RedisRuntimeError: the worker could not load the model (its message says why)
        """
        typecheck(name, "name", str)
        check_name(name, "name")
        typecheck(model, "model", (bytes, bytearray))
        options = self._model_options(
            backend, device, batch_size, min_batch_size, min_batch_timeout, tag, inputs, outputs
        )
        self._models.set_model(self._keys.model(name, False), model, options)

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
        self.set_model(
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
        """Store one copy of a model per GPU, ``name.GPU:<n>`` for each of ``num_gpus`` GPUs."""
        for gpu in _gpu_range(first_gpu, num_gpus):
            self.set_model(
                f"{name}.GPU:{gpu}",
                model,
                backend,
                f"GPU:{gpu}",
                batch_size,
                min_batch_size,
                min_batch_timeout,
                tag,
                inputs,
                outputs,
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
        self.set_model_multigpu(
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
        """Store models in pieces of at most ``chunk_size`` bytes."""
        typecheck(chunk_size, "chunk_size", int)
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        self._models.chunk_size = chunk_size

    @api
    def get_model(self, name: str) -> bytes:
        """The bytes of the model ``name``.

        :raises RedisKeyError: no model is stored under that name
        """
        typecheck(name, "name", str)
        return self._models.get_model(self._keys.model(name, True))

    @api
    def model_exists(self, name: str) -> bool:
        """Whether a model is stored under ``name``."""
        typecheck(name, "name", str)
        return self._models.exists(self._keys.model(name, True), inference.KIND_MODEL)

    @api
    def poll_model(self, name: str, poll_frequency_ms: int, num_tries: int) -> bool:
        """Check up to ``num_tries`` times, ``poll_frequency_ms`` apart, for the model ``name``."""
        return self._poll(lambda: self.model_exists(name), poll_frequency_ms, num_tries)

    @api
    def delete_model(self, name: str) -> None:
        """Remove the model ``name`` (and unload it).

        :raises RedisKeyError: no model is stored under that name
        """
        typecheck(name, "name", str)
        self._models.delete(self._keys.model(name, True), inference.KIND_MODEL)

    @api
    def delete_model_multigpu(self, name: str, first_gpu: int, num_gpus: int) -> None:
        """Remove the per-GPU copies of the model ``name``."""
        for gpu in _gpu_range(first_gpu, num_gpus):
            self.delete_model(f"{name}.GPU:{gpu}")

    @api
    def run_model(
        self,
        name: str,
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        """Run the model ``name`` on the tensors ``inputs``, storing results as ``outputs``.

        :raises RedisRuntimeError: the backend failed (its message says why)
        :raises RedisTimeoutError: the worker did not answer within SR_CMD_TIMEOUT
        """
        typecheck(name, "name", str)
        self._models.run_model(
            self._keys.model(name, True),
            *self._tensor_keys(inputs, outputs),
        )

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
        typecheck(offset, "offset", int)
        gpus = _gpu_range(first_gpu, num_gpus)
        self.run_model(f"{name}.GPU:{gpus[offset % num_gpus]}", inputs, outputs)

    @api
    def set_script(self, name: str, script: str, device: str = "CPU") -> None:
        """Store TorchScript source; its functions can then be called with run_script.

        :raises RedisRuntimeError: the source does not compile (the message says why)
        """
        typecheck(name, "name", str)
        check_name(name, "name")
        typecheck(script, "script", str)
        _check_device(device)
        self._models.set_script(self._keys.model(name, False), script, device)

    @api
    def set_script_from_file(self, name: str, file: str, device: str = "CPU") -> None:
        """Store the TorchScript source in ``file``."""
        self.set_script(name, _read_file(file, "file").decode(), device)

    @api
    def set_function(
        self, name: str, function: t.Callable[..., t.Any], device: str = "CPU"
    ) -> None:
        """Store a Python function as TorchScript; call it by its own name with run_script."""
        if not callable(function):
            raise TypeError(f"Argument function is of type {type(function)}, not a function")
        self.set_script(name, _function_source(function), device)

    @api
    def set_script_multigpu(self, name: str, script: str, first_gpu: int, num_gpus: int) -> None:
        """Store one copy of a script per GPU, ``name.GPU:<n>``."""
        for gpu in _gpu_range(first_gpu, num_gpus):
            self.set_script(f"{name}.GPU:{gpu}", script, f"GPU:{gpu}")

    @api
    def set_script_from_file_multigpu(
        self, name: str, file: str, first_gpu: int, num_gpus: int
    ) -> None:
        """Store the script in ``file`` once per GPU."""
        self.set_script_multigpu(name, _read_file(file, "file").decode(), first_gpu, num_gpus)

    @api
    def set_function_multigpu(
        self, name: str, function: t.Callable[..., t.Any], first_gpu: int, num_gpus: int
    ) -> None:
        """Store a Python function as TorchScript once per GPU."""
        self.set_script_multigpu(name, _function_source(function), first_gpu, num_gpus)

    @api
    def get_script(self, name: str) -> str:
        """The source of the script ``name``.

        :raises RedisKeyError: no script is stored under that name
        """
        typecheck(name, "name", str)
        return self._models.get_script(self._keys.model(name, True))

    @api
    def delete_script(self, name: str) -> None:
        """Remove the script ``name``.

        :raises RedisKeyError: no script is stored under that name
        """
        typecheck(name, "name", str)
        self._models.delete(self._keys.model(name, True), inference.KIND_SCRIPT)

    @api
    def delete_script_multigpu(self, name: str, first_gpu: int, num_gpus: int) -> None:
        """Remove the per-GPU copies of the script ``name``."""
        for gpu in _gpu_range(first_gpu, num_gpus):
            self.delete_script(f"{name}.GPU:{gpu}")

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
        self._models.run_script(
            self._keys.model(name, True),
            fn_name,
            *self._tensor_keys(inputs, outputs),
        )

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
        typecheck(offset, "offset", int)
        gpus = _gpu_range(first_gpu, num_gpus)
        self.run_script(f"{name}.GPU:{gpus[offset % num_gpus]}", fn_name, inputs, outputs)

    @api
    def get_ai_info(self, address: list[str], key: str, reset_stat: bool = False) -> list[dict]:
        """Run statistics of model or script ``key`` on each node in ``address``.

        Each dict has key, type, backend, device, tag, duration (µs), samples, calls, errors.
        """
        if isinstance(address, str):
            address = [address]
        typecheck(address, "address", list)
        typecheck(key, "key", str)
        typecheck(reset_stat, "reset_stat", bool)
        model_key = self._keys.model(key, True)
        return [self._models.info(self._node(a), model_key, reset_stat) for a in address]
