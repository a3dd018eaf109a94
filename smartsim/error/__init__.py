"""Public error classes (``smartsim.error``)."""

from .errors import (
    AllocationError,
    EntityExistsError,
    ExecutableNotFoundError,
    LauncherError,
    LauncherUnsupportedFeature,
    ParameterWriterError,
    ShellError,
    SmartSimError,
    SSConfigError,
    SSDBFilesNotParseable,
    SSDBIDConflictError,
    SSFileNotFoundError,
    SSInternalError,
    SSReservedKeywordError,
    SSUnsupportedError,
    UserStrategyError,
)

__all__ = [
    "AllocationError",
    "EntityExistsError",
    "ExecutableNotFoundError",
    "LauncherError",
    "LauncherUnsupportedFeature",
    "ParameterWriterError",
    "SSConfigError",
    "SSDBFilesNotParseable",
    "SSDBIDConflictError",
    "SSFileNotFoundError",
    "SSInternalError",
    "SSReservedKeywordError",
    "SSUnsupportedError",
    "ShellError",
    "SmartSimError",
    "UserStrategyError",
]
