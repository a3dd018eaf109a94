"""ConfigOptions: where a Client finds its settings (environment variables, optionally suffixed)."""

from __future__ import annotations

import os

from smartredis.error import RedisKeyError, RedisRuntimeError

_NOT_FACTORY = "Method called on a ConfigOptions object not created from a factory method"


class ConfigOptions:
    """Settings read lazily from the environment; overrides apply to this object only.

    With a suffix ``s``, option ``NAME`` is read from the variable ``NAME_s`` (so
    ``create_from_environment("db2")`` reads ``SSDB_db2``, ``SR_DB_TYPE_db2``...). A value,
    once read, is kept: later changes to the environment do not affect this object.
    """

    def __init__(self) -> None:
        self._is_created_via_factory = False
        self._suffix = ""
        self._ints: dict[str, int] = {}
        self._strings: dict[str, str] = {}

    @classmethod
    def create_from_environment(cls, db_suffix: str) -> ConfigOptions:
        """Options from environment variables, each name suffixed ``_<db_suffix>`` if given.

        :param db_suffix: the suffix, or "" for the plain names
        :raises TypeError: db_suffix is not a str
        """
        if not isinstance(db_suffix, str):
            raise TypeError(f"Argument db_suffix is of type {type(db_suffix)}, not {str}")
        result = cls()
        result._suffix = db_suffix
        result._is_created_via_factory = True
        return result

    @property
    def is_factory_object(self) -> bool:
        """Whether this object came from a factory method (only those can be used)."""
        return self._is_created_via_factory

    def _check(self, option_name: object) -> str:
        if not isinstance(option_name, str):
            raise TypeError(f"Argument option_name is of type {type(option_name)}, not {str}")
        if not self._is_created_via_factory:
            raise RedisRuntimeError(_NOT_FACTORY)
        if not option_name:
            raise RedisKeyError("Invalid empty environment variable name detected")
        return option_name

    def _variable(self, option_name: str) -> str:
        """The environment variable that holds ``option_name``."""
        return f"{option_name}_{self._suffix}" if self._suffix else option_name

    def _lookup(self, option_name: str) -> str | None:
        return os.environ.get(self._variable(option_name))

    def _parse_int(self, option_name: str, raw: str) -> int:
        try:
            return int(raw.strip())
        except ValueError:
            raise RedisRuntimeError(
                f"{self._variable(option_name)}={raw!r} is not an integer"
            ) from None

    def get_integer_option(self, option_name: str) -> int:
        """The integer value of an option.

        :raises RedisKeyError: the option is neither set nor overridden
        :raises RedisRuntimeError: its value is not an integer
        """
        self._check(option_name)
        if option_name not in self._ints:
            raw = self._lookup(option_name)
            if raw is None:
                raise RedisKeyError(
                    f"Configuration option {option_name} is not set "
                    f"(environment variable {self._variable(option_name)})"
                )
            self._ints[option_name] = self._parse_int(option_name, raw)
        return self._ints[option_name]

    def get_string_option(self, option_name: str) -> str:
        """The string value of an option.

        :raises RedisKeyError: the option is neither set nor overridden
        """
        self._check(option_name)
        if option_name not in self._strings:
            raw = self._lookup(option_name)
            if raw is None:
                raise RedisKeyError(
                    f"Configuration option {option_name} is not set "
                    f"(environment variable {self._variable(option_name)})"
                )
            self._strings[option_name] = raw
        return self._strings[option_name]

    def is_configured(self, option_name: str) -> bool:
        """Whether the option is overridden here or set in the environment."""
        self._check(option_name)
        return (
            option_name in self._ints
            or option_name in self._strings
            or self._lookup(option_name) is not None
        )

    def override_integer_option(self, option_name: str, value: int) -> None:
        """Use ``value`` for this option in this object (not in the environment)."""
        self._check(option_name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"Argument value is of type {type(value)}, not {int}")
        self._ints[option_name] = value

    def override_string_option(self, option_name: str, value: str) -> None:
        """Use ``value`` for this option in this object (not in the environment)."""
        self._check(option_name)
        if not isinstance(value, str):
            raise TypeError(f"Argument value is of type {type(value)}, not {str}")
        self._strings[option_name] = value

    def _resolve_integer_option(self, option_name: str, default: int) -> int:
        """The option's integer value, or ``default`` when it is not set."""
        if option_name in self._ints or self._lookup(option_name) is not None:
            return self.get_integer_option(option_name)
        return default

    def _resolve_string_option(self, option_name: str, default: str) -> str:
        """The option's string value, or ``default`` when it is not set."""
        if option_name in self._strings or self._lookup(option_name) is not None:
            return self.get_string_option(option_name)
        return default

    def _clone(self) -> ConfigOptions:
        """An independent copy (a Client keeps its own, as SmartRedis does)."""
        other = ConfigOptions()
        other._is_created_via_factory = self._is_created_via_factory
        other._suffix = self._suffix
        other._ints = dict(self._ints)
        other._strings = dict(self._strings)
        return other

    def __repr__(self) -> str:
        return f"ConfigOptions(suffix={self._suffix!r})"
