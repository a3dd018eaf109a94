"""ConfigOptions and the Client settings read through it (SSDB, SR_DB_TYPE, SR_* retries)."""

from __future__ import annotations

import pytest

from smartredis import ConfigOptions
from smartredis._settings import parse_ssdb, resolve
from smartredis.error import RedisKeyError, RedisRuntimeError
from smartredis.wire.connection import Address
from smartredis.wire.retry import AddressError

SR_VARIABLES = ["SSDB", "SR_DB_TYPE", "SR_CONN_TIMEOUT", "SR_CONN_INTERVAL", "SR_CMD_TIMEOUT"]
SR_VARIABLES += ["SR_CMD_INTERVAL", "SR_THREAD_COUNT"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in SR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_db2", raising=False)


def test_direct_construction_is_unusable():
    with pytest.raises(RedisRuntimeError, match="not created from a factory method"):
        ConfigOptions().get_string_option("SSDB")


def test_reads_plain_and_suffixed_variables(monkeypatch):
    monkeypatch.setenv("SSDB", "127.0.0.1:1")
    monkeypatch.setenv("SSDB_db2", "127.0.0.1:2")
    monkeypatch.setenv("SR_CMD_TIMEOUT_db2", "7")
    assert ConfigOptions.create_from_environment("").get_string_option("SSDB") == "127.0.0.1:1"
    opts = ConfigOptions.create_from_environment("db2")
    assert opts.get_string_option("SSDB") == "127.0.0.1:2"
    assert opts.get_integer_option("SR_CMD_TIMEOUT") == 7
    assert opts.is_configured("SSDB") and not opts.is_configured("SR_DB_TYPE")


def test_missing_options_raise_key_errors():
    opts = ConfigOptions.create_from_environment("db2")
    with pytest.raises(RedisKeyError, match="SSDB_db2"):
        opts.get_string_option("SSDB")
    with pytest.raises(RedisKeyError):
        opts.get_integer_option("SR_CMD_TIMEOUT")
    with pytest.raises(RedisKeyError, match="empty"):
        opts.get_string_option("")


def test_non_integer_values(monkeypatch):
    monkeypatch.setenv("SR_CMD_TIMEOUT", "soon")
    with pytest.raises(RedisRuntimeError, match="SR_CMD_TIMEOUT='soon' is not an integer"):
        ConfigOptions.create_from_environment("").get_integer_option("SR_CMD_TIMEOUT")


def test_overrides_are_per_object(monkeypatch):
    monkeypatch.setenv("SSDB", "127.0.0.1:1")
    first = ConfigOptions.create_from_environment("")
    second = ConfigOptions.create_from_environment("")
    first.override_string_option("SSDB", "127.0.0.1:9")
    first.override_integer_option("SR_THREAD_COUNT", 2)
    assert first.get_string_option("SSDB") == "127.0.0.1:9"
    assert first.get_integer_option("SR_THREAD_COUNT") == 2
    assert first.is_configured("SR_THREAD_COUNT")
    assert second.get_string_option("SSDB") == "127.0.0.1:1"


def test_argument_types():
    opts = ConfigOptions.create_from_environment("")
    with pytest.raises(TypeError):
        opts.override_integer_option("X", "1")
    with pytest.raises(TypeError):
        opts.override_string_option("X", 1)
    with pytest.raises(TypeError):
        ConfigOptions.create_from_environment(None)


def test_settings_defaults(monkeypatch):
    monkeypatch.setenv("SSDB", "127.0.0.1:6379")
    settings = resolve(ConfigOptions.create_from_environment(""))
    assert settings.addresses == [Address("127.0.0.1", 6379)]
    assert settings.cluster and settings.cluster_inferred  # SmartRedis: Clustered when unset
    policy = settings.policy
    assert (policy.connect_timeout, policy.connect_interval) == (100, 1.0)
    assert (policy.command_timeout, policy.command_interval) == (100, 1.0)
    assert settings.thread_count == 4


@pytest.mark.parametrize(
    ("db_type", "cluster"),
    [("Standalone", False), ("Clustered", True), ("clustered", True), ("Colocated", False)],
)
def test_settings_db_type(monkeypatch, db_type, cluster):
    monkeypatch.setenv("SSDB", "127.0.0.1:6379")
    monkeypatch.setenv("SR_DB_TYPE", db_type)
    settings = resolve(ConfigOptions.create_from_environment(""))
    assert settings.cluster is cluster and not settings.cluster_inferred


def test_legacy_cluster_flag_wins(monkeypatch):
    monkeypatch.setenv("SSDB", "127.0.0.1:6379")
    monkeypatch.setenv("SR_DB_TYPE", "Clustered")
    assert resolve(ConfigOptions.create_from_environment(""), cluster=False).cluster is False


def test_settings_retry_values(monkeypatch):
    monkeypatch.setenv("SSDB_db2", "127.0.0.1:6379")
    monkeypatch.setenv("SR_CONN_TIMEOUT_db2", "3")
    monkeypatch.setenv("SR_CONN_INTERVAL_db2", "250")
    monkeypatch.setenv("SR_CMD_TIMEOUT_db2", "5")
    monkeypatch.setenv("SR_CMD_INTERVAL_db2", "20")
    policy = resolve(ConfigOptions.create_from_environment("db2")).policy
    assert (policy.connect_timeout, policy.connect_interval) == (3, 0.25)
    assert (policy.command_timeout, policy.command_interval) == (5, 0.02)


@pytest.mark.parametrize("name", ["SR_CONN_TIMEOUT", "SR_CMD_INTERVAL", "SR_THREAD_COUNT"])
def test_settings_reject_non_positive_values(monkeypatch, name):
    monkeypatch.setenv("SSDB", "127.0.0.1:6379")
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValueError, match=f"{name} must be greater than 0"):
        resolve(ConfigOptions.create_from_environment(""))


def test_ssdb_forms():
    assert parse_ssdb("127.0.0.1:1,10.0.0.2:2") == [Address("127.0.0.1", 1), Address("10.0.0.2", 2)]
    assert parse_ssdb("unix:///tmp/db.sock") == [Address(path="/tmp/db.sock")]
    assert parse_ssdb("[::1]:6379") == [Address("::1", 6379)]


@pytest.mark.parametrize("spec", ["", " , ", "localhost", "host:port", "127.0.0.1:70000"])
def test_bad_ssdb_names_the_variable(spec):
    with pytest.raises(AddressError, match="SSDB"):
        parse_ssdb(spec)
