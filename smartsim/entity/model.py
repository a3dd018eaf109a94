"""Model: one application (simulation, analysis, any program) launched by an Experiment."""

from __future__ import annotations

import itertools
import numbers
import os
import re
import sys
import typing as t
import warnings

from smartsim.entity.dbobject import DBModel, DBScript
from smartsim.entity.dbobjectsmixin import DBObjectsMixin
from smartsim.entity.entity import SmartSimEntity
from smartsim.entity.files import EntityFiles
from smartsim.error import EntityExistsError, SSUnsupportedError
from smartsim.log import get_logger

if t.TYPE_CHECKING:
    from smartsim.settings.base import BatchSettings, RunSettings

logger = get_logger(__name__)

_UDS_NAME = re.compile(r"^[a-zA-Z0-9.:,_\-/]+$")
_AI_THREAD_ARGS = ("threads_per_queue", "inter_op_parallelism", "intra_op_parallelism")


def cat_arg_and_value(arg_name: str, value: t.Any) -> str:
    """Render a parameter as a command-line argument: ``--name=value`` or ``-n value``."""
    if arg_name.startswith("--"):
        return f"{arg_name}={value}"
    if arg_name.startswith("-"):
        return f"{arg_name} {value}"
    if len(arg_name) == 1:
        return f"-{arg_name} {value}"
    return f"--{arg_name}={value}"


def _parse_params(params: dict[str, t.Any]) -> dict[str, str]:
    """The params as SmartSim keeps them: each value a str or a number, stored as its str."""
    for value in params.values():
        if not isinstance(value, (str, numbers.Number)):
            raise TypeError("Incorrect type for model parameters\nMust be numeric value or string.")
    return {name: str(value) for name, value in params.items()}


def _pinning_string(pin_ids: t.Iterable[int | t.Iterable[int]] | None, cpus: int) -> str | None:
    """The CPU list a colocated database is pinned to, e.g. ``"0,1"``; None for no pinning."""

    def _checked(cpu: t.Any) -> int:
        if not isinstance(cpu, int) or isinstance(cpu, bool):
            raise TypeError(f"CPU id {cpu!r} is of type {type(cpu).__name__}, not int")
        if cpu < 0:
            raise ValueError(f"CPU id must be a non-negative number, got {cpu}")
        return cpu

    if pin_ids is not None:
        try:
            pin_ids = tuple(pin_ids)
        except TypeError:
            raise TypeError(
                "Expected a CPU pinning given as an iterable of ints or of iterables of ints, "
                f"got {type(pin_ids).__name__}"
            ) from None
    if sys.platform == "darwin":
        if pin_ids:
            warnings.warn("CPU pinning is not supported on macOS; ignoring it", RuntimeWarning)
        return None
    if pin_ids is None:
        return ",".join(str(i) for i in range(cpus))
    if not pin_ids:
        return None
    groups = ((x,) if isinstance(x, int) else x for x in pin_ids)
    cpu_ids = {_checked(cpu) for cpu in itertools.chain.from_iterable(groups)}
    return ",".join(str(cpu) for cpu in sorted(cpu_ids))


class Model(DBObjectsMixin, SmartSimEntity):
    """A program to launch, with parameters, attached files and database connections."""

    def __init__(
        self,
        name: str,
        params: dict[str, t.Any],
        run_settings: RunSettings,
        path: str | None = None,
        params_as_args: list[str] | None = None,
        batch_settings: BatchSettings | None = None,
    ) -> None:
        """
        :param name: name of the model
        :param params: parameters written into configured files (and arguments)
        :param run_settings: how to run the model
        :param path: the model's directory (default: the current directory)
        :param params_as_args: names of params to also pass as command-line arguments
        :param batch_settings: submit the model as its own batch job
        """
        super().__init__(name, str(path or os.getcwd()), run_settings)
        self.params = _parse_params(params or {})
        self.params_as_args = params_as_args
        self.incoming_entities: list[SmartSimEntity] = []
        self._key_prefixing_enabled = False
        self.batch_settings = batch_settings
        self._db_models: list[DBModel] = []
        self._db_scripts: list[DBScript] = []
        self.files: EntityFiles | None = None

    # -- colocated database -----------------------------------------------------------------

    @property
    def colocated(self) -> bool:
        """True when a database is launched beside this model."""
        return bool(self.colocated_db_settings)

    @property
    def colocated_db_settings(self) -> dict[str, t.Any]:
        """The colocated database's options, kept on the run settings as SmartSim does."""
        settings = self.run_settings
        return (settings.colocated_db_settings if settings is not None else None) or {}

    # -- key prefixing ----------------------------------------------------------------------

    def register_incoming_entity(self, incoming_entity: SmartSimEntity) -> None:
        """Read keys that ``incoming_entity`` writes with its prefix (sets SSKEYIN)."""
        if incoming_entity.name in [e.name for e in self.incoming_entities]:
            raise EntityExistsError(
                f"'{incoming_entity.name}' has already been registered as an incoming entity"
            )
        self.incoming_entities.append(incoming_entity)

    def enable_key_prefixing(self) -> None:
        """Prefix the keys this model writes with its name (sets SSKEYOUT)."""
        self._key_prefixing_enabled = True

    def disable_key_prefixing(self) -> None:
        """Stop prefixing the keys this model writes."""
        self._key_prefixing_enabled = False

    def query_key_prefixing(self) -> bool:
        """Whether key prefixing is on."""
        return self._key_prefixing_enabled

    # -- files and parameters ---------------------------------------------------------------

    def attach_generator_files(
        self,
        to_copy: list[str] | None = None,
        to_symlink: list[str] | None = None,
        to_configure: list[str] | None = None,
    ) -> None:
        """Attach files that ``Experiment.generate`` copies, symlinks or configures.

        Configured files have every ``;name;`` tag replaced by the model's param ``name``.

        :raises ValueError: a file is named ``smartsim_params.txt`` (the generator writes
            it), or a directory to configure holds a symlink to a directory
        :raises SSFileNotFoundError: a named file or directory does not exist
        """
        self.files = EntityFiles(to_configure, to_copy, to_symlink)
        if to_configure and not self.params:
            logger.warning(
                f"Model {self.name} has files to configure but no params: tags stay as they are"
            )

    @property
    def attached_files_table(self) -> str:
        """SmartSim's table of the attached files (see ``EntityFiles.__str__``)."""
        if self.files is None:
            return "No file attached to this model."
        return str(self.files)

    def print_attached_files(self) -> None:
        """Print the table of attached files."""
        print(self.attached_files_table)

    def params_to_args(self) -> None:
        """Append the params named in ``params_as_args`` to the executable's arguments."""
        for param in self.params_as_args or []:
            if param not in self.params:
                raise ValueError(
                    f"Cannot pass param {param!r} as an argument of model {self.name}: "
                    f"it is not one of its params {sorted(self.params)}"
                )
            if self.run_settings is None:
                raise ValueError(f"Model {self.name} has no run settings to add arguments to")
            self.run_settings.add_exe_args(cat_arg_and_value(param, self.params[param]))

    # -- colocated database -----------------------------------------------------------------

    def colocate_db(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Deprecated alias of :meth:`colocate_db_tcp`."""
        warnings.warn(
            "colocate_db is deprecated; use colocate_db_tcp or colocate_db_uds",
            DeprecationWarning,
            stacklevel=2,
        )
        self.colocate_db_tcp(*args, **kwargs)

    def colocate_db_tcp(
        self,
        port: int = 6379,
        ifname: str | list[str] = "lo",
        db_cpus: int = 1,
        custom_pinning: t.Iterable[int | t.Iterable[int]] | None = None,
        debug: bool = False,
        db_identifier: str = "",
        password: bool = False,
        **kwargs: t.Any,
    ) -> None:
        """Launch a database beside this model, reached over TCP on ``ifname``:``port``.

        ``password=True``: the database requires a secret generated at each launch, which
        the model gets in ``SR_DB_PASSWORD[_<db_identifier>]``."""
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"port must be an int between 1 and 65535, got {port!r}")
        ifnames = [ifname] if isinstance(ifname, str) else list(ifname)
        if not ifnames or not all(isinstance(i, str) and i for i in ifnames):
            raise TypeError(f"ifname must be a str or a list of str, got {ifname!r}")
        connection = {"port": port, "ifname": ifname, "password": bool(password)}
        self._set_colocated_db_settings(
            connection, db_cpus, custom_pinning, debug, db_identifier, kwargs
        )

    def colocate_db_uds(
        self,
        unix_socket: str = "/tmp/redis.socket",
        socket_permissions: int = 755,
        db_cpus: int = 1,
        custom_pinning: t.Iterable[int | t.Iterable[int]] | None = None,
        debug: bool = False,
        db_identifier: str = "",
        password: bool = False,
        **kwargs: t.Any,
    ) -> None:
        """Launch a database beside this model, reached through a Unix domain socket
        (``password``: as for :meth:`colocate_db_tcp`)."""
        if not isinstance(unix_socket, str) or not _UDS_NAME.match(unix_socket):
            raise ValueError(
                f"Invalid name for unix socket: {unix_socket!r}. "
                "Must only contain alphanumeric characters or . : , _ - /"
            )
        connection = {
            "unix_socket": unix_socket,
            "socket_permissions": socket_permissions,
            "port": 0,
            "password": bool(password),
        }
        self._set_colocated_db_settings(
            connection, db_cpus, custom_pinning, debug, db_identifier, kwargs
        )

    def _set_colocated_db_settings(
        self,
        connection: dict[str, t.Any],
        db_cpus: int,
        custom_pinning: t.Iterable[int | t.Iterable[int]] | None,
        debug: bool,
        db_identifier: str,
        extra: dict[str, t.Any],
    ) -> None:
        if self.batch_settings is not None:
            raise SSUnsupportedError("A colocated database cannot be used with batch settings")
        if not isinstance(db_cpus, int) or db_cpus < 1:
            raise ValueError(f"db_cpus must be a positive int, got {db_cpus!r}")
        if "limit_app_cpus" in extra:
            raise SSUnsupportedError(
                "Pinning app CPUs via limit_app_cpus is not supported; set the binding in the "
                "model's run settings instead"
            )
        settings: dict[str, t.Any] = dict(connection)
        settings.update(
            cpus=db_cpus,
            custom_pinning=_pinning_string(custom_pinning, db_cpus),
            debug=debug,
            db_identifier=db_identifier,
            rai_args={name: extra.get(name) for name in _AI_THREAD_ARGS},
            extra_db_args={k: str(v) for k, v in extra.items() if k not in _AI_THREAD_ARGS},
        )
        if self.run_settings is None:
            raise ValueError(f"Model {self.name} has no run settings to colocate a database with")
        self.run_settings.colocated_db_settings = settings

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        text = f"Name: {self.name}\nType: {self.type}\n{self.run_settings}"
        if self._db_models:
            text += "\nDB Models: " + ", ".join(m.name for m in self._db_models)
        if self._db_scripts:
            text += "\nDB Scripts: " + ", ".join(s.name for s in self._db_scripts)
        return text
