"""DBModel and DBScript: ML models and TorchScript code to load into a database at start."""

from __future__ import annotations

import inspect
import typing as t
from pathlib import Path

from smartsim.error import SSFileNotFoundError, SSUnsupportedError

_BACKENDS = ("TF", "TFLITE", "TORCH", "ONNX")
_DEVICES = ("CPU", "GPU")


def _check_filepath(file_path: str) -> Path:
    path = Path(file_path).resolve()
    if not path.is_file():
        raise SSFileNotFoundError(f"File {file_path!r} not found ({path})")
    return path


def _check_device(device: str) -> str:
    if not isinstance(device, str) or not device.upper().startswith(_DEVICES):
        raise ValueError(f"Device {device!r} is not valid: it must start with CPU or GPU")
    return device.upper()


def _as_name_list(names: str | list[str] | None, what: str) -> list[str]:
    if names is None:
        return []
    if isinstance(names, str):
        return [names]
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return list(names)
    raise TypeError(f"{what} must be a str or a list of str, got {names!r}")


class DBObject:
    """What DBModel and DBScript share: a name, an in-memory or file source, and devices."""

    def __init__(
        self,
        name: str,
        func: t.Any,
        file_path: str | None,
        device: str,
        devices_per_node: int,
        first_device: int,
    ) -> None:
        if not name or not isinstance(name, str):
            raise ValueError(f"A database object needs a non-empty name, got {name!r}")
        self.name = name
        self.func = func
        self.file = _check_filepath(file_path) if file_path else None
        self.device = _check_device(device)
        self.devices_per_node = devices_per_node
        self.first_device = first_device
        self._check_devices()

    @property
    def is_file(self) -> bool:
        """True when the object is loaded from a file rather than from memory."""
        return self.file is not None

    def _check_devices(self) -> None:
        if not isinstance(self.devices_per_node, int) or self.devices_per_node < 1:
            raise ValueError(
                f"devices_per_node must be a positive int, got {self.devices_per_node!r}"
            )
        if not isinstance(self.first_device, int) or self.first_device < 0:
            raise ValueError(f"first_device must be a non-negative int, got {self.first_device!r}")
        if self.device == "CPU" and self.devices_per_node > 1:
            raise SSUnsupportedError("Cannot set devices_per_node>1 when the device is CPU")
        if self.device == "CPU" and self.first_device > 0:
            raise SSUnsupportedError("Cannot set first_device>0 when the device is CPU")
        if self.devices_per_node > 1 and ":" in self.device:
            raise ValueError(
                f"Cannot set devices_per_node>1 with a numbered device ({self.device}); "
                "give 'GPU' and first_device instead"
            )

    def enumerate_devices(self) -> list[str]:
        """The devices the object is stored on: ``GPU:0``, ``GPU:1``, ... or just the device."""
        if self.device == "GPU" and self.devices_per_node > 1:
            first = self.first_device
            return [f"GPU:{i}" for i in range(first, first + self.devices_per_node)]
        return [self.device]


class DBModel(DBObject):
    """An ML model (TF, TFLITE, TORCH or ONNX) stored in the database when an entity starts."""

    def __init__(
        self,
        name: str,
        backend: str,
        model: bytes | None = None,
        model_file: str | None = None,
        device: str = "CPU",
        devices_per_node: int = 1,
        first_device: int = 0,
        batch_size: int = 0,
        min_batch_size: int = 0,
        min_batch_timeout: int = 0,
        tag: str = "",
        inputs: str | list[str] | None = None,
        outputs: str | list[str] | None = None,
    ) -> None:
        if model is None and not model_file:
            raise ValueError(f"DBModel {name!r}: give either model (bytes) or model_file")
        if model is not None and model_file:
            raise ValueError(f"DBModel {name!r}: give model or model_file, not both")
        if model is not None and not isinstance(model, (bytes, bytearray)):
            raise TypeError(f"DBModel {name!r}: model must be bytes, got {type(model).__name__}")
        super().__init__(name, model, model_file, device, devices_per_node, first_device)
        if not isinstance(backend, str) or backend.upper() not in _BACKENDS:
            raise ValueError(f"Backend {backend!r} is not supported; use one of {list(_BACKENDS)}")
        self.backend = backend.upper()
        for field, value in (
            ("batch_size", batch_size),
            ("min_batch_size", min_batch_size),
            ("min_batch_timeout", min_batch_timeout),
        ):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"DBModel {name!r}: {field} must be a non-negative int")
        if min_batch_size > 0 and batch_size == 0:
            raise ValueError(f"DBModel {name!r}: min_batch_size needs a batch_size > 0")
        self.batch_size = batch_size
        self.min_batch_size = min_batch_size
        self.min_batch_timeout = min_batch_timeout
        self.tag = tag
        self.inputs = _as_name_list(inputs, "inputs")
        self.outputs = _as_name_list(outputs, "outputs")

    @property
    def model(self) -> bytes | None:
        """The serialized model when given in memory."""
        return t.cast("bytes | None", self.func)  # what __init__ was given as model

    def __str__(self) -> str:
        source = f"file {self.file}" if self.is_file else "in memory"
        return f"DBModel {self.name} ({self.backend}, {source}, devices {self.enumerate_devices()})"


class DBScript(DBObject):
    """TorchScript code (a string, a Python function or a file) stored when an entity starts."""

    def __init__(
        self,
        name: str,
        script: str | t.Callable[..., t.Any] | None = None,
        script_path: str | None = None,
        device: str = "CPU",
        devices_per_node: int = 1,
        first_device: int = 0,
    ) -> None:
        if script is None and not script_path:
            raise ValueError(f"DBScript {name!r}: give either script or script_path")
        if script is not None and script_path:
            raise ValueError(f"DBScript {name!r}: give script or script_path, not both")
        if script is not None and not (isinstance(script, str) or callable(script)):
            raise TypeError(f"DBScript {name!r}: script must be a str or a function")
        super().__init__(name, script, script_path, device, devices_per_node, first_device)

    @property
    def script(self) -> str | t.Callable[..., t.Any] | None:
        """The script text or function when given in memory."""
        return t.cast("str | t.Callable[..., t.Any] | None", self.func)  # __init__'s script

    def source(self) -> str:
        """The script's source text, read from the function or the file when needed."""
        if self.file is not None:
            return self.file.read_text(encoding="utf-8")
        if callable(self.func):
            return inspect.getsource(self.func)
        return str(self.func)

    def __str__(self) -> str:
        source = f"file {self.file}" if self.is_file else "in memory"
        return f"DBScript {self.name} ({source}, devices {self.enumerate_devices()})"
