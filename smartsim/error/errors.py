"""The error classes users catch, with SmartSim 0.8's names and hierarchy."""

from __future__ import annotations


class SmartSimError(Exception):
    """Base class of errors that a user's driver script can act on."""


class SSUnsupportedError(Exception):
    """A feature or combination of settings that is not supported."""


class PreviewFormatError(SSUnsupportedError):
    """Experiment.preview was asked for an output format it does not write."""


class EntityExistsError(SmartSimError):
    """An entity of this name already exists where a new one was to be added."""


class UserStrategyError(SmartSimError):
    """A user-given parameter permutation strategy failed or returned bad data."""

    def __init__(self, perm_strat: str) -> None:
        super().__init__(
            f"User provided ensemble generation strategy {perm_strat!r} failed: "
            "it must return a list of dicts mapping parameter names to values"
        )


class ParameterWriterError(SmartSimError):
    """A file attached for configuration could not be read or written."""

    def __init__(self, file_path: str, read: bool = True) -> None:
        verb = "read" if read else "write"
        super().__init__(f"Failed to configure file: could not {verb} {file_path!r}")


class SSReservedKeywordError(SmartSimError):
    """A reserved keyword (for example a reserved environment name) was used."""


class SSDBIDConflictError(SmartSimError):
    """Two databases in one experiment share a db_identifier."""


class SSDBFilesNotParseable(SmartSimError):
    """The files a database wrote (for example its cluster config) could not be parsed."""


class SSInternalError(Exception):
    """An error inside the library or in a system it drives."""


class SSConfigError(SSInternalError):
    """The library's configuration (environment variables, binaries) is wrong."""


class LauncherError(SSInternalError):
    """A launcher failed to start, watch or stop a job."""


class AllocationError(LauncherError):
    """A scheduler allocation could not be obtained or used."""


class ShellError(LauncherError):
    """A command run by a launcher failed."""

    def __init__(self, message: str, command_list: list[str] | str | None = None) -> None:
        if command_list:
            cmd = command_list if isinstance(command_list, str) else " ".join(command_list)
            message = f"{message}\nCommand: {cmd}"
        super().__init__(message)


class LauncherUnsupportedFeature(LauncherError):
    """The launcher cannot do what was asked (for example batch jobs on local)."""


class SSFileNotFoundError(SmartSimError, FileNotFoundError):
    """A file or directory the user named does not exist.

    Also a FileNotFoundError, which is what SmartSim 0.8 raises, so old handlers keep working.
    """


class SSFileExistsError(SmartSimError, FileExistsError):
    """A directory to generate already exists (or a file is in the way).

    Also a FileExistsError, which is what SmartSim 0.8 raises, so old handlers keep working.
    """


class ExecutableNotFoundError(SSFileNotFoundError):
    """An executable named in run settings is not on PATH and not a file."""
