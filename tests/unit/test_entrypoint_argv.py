"""The entrypoints' argv builders and parsers agree: parse_args(argv(...)) gives back the input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smartsim._core.entrypoints import colocated, dbshard


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"workdir": "/tmp/db dir", "server": "/opt/valkey-server"},
        {"addresses": ["127.0.0.1"]},
        {"addresses": ["10.0.0.1", "::1"], "cluster": True},
        {"ifnames": ["ib0", "eth0"], "cluster": True},
        {"conf": {"maxclients": "100", "save": ""}},
        {"conf": {"maxmemory-policy": "allkeys lru"}, "addresses": ["h"], "workdir": "w"},
        {"module": "/lib/ai.so", "workers": 2, "inter_op": 1, "intra_op": 4},
        {"no_module": "no C compiler: gcc: not found"},
        {"password_env": "SR_DB_PASSWORD"},
    ],
)
def test_dbshard_round_trip(kwargs):
    opts = dbshard.parse_args(dbshard.argv("db_0", 6379, **kwargs))
    assert opts["--name"] == "db_0"
    assert int(str(opts["--port"])) == 6379
    assert opts.get("--dir") == kwargs.get("workdir")
    assert opts.get("--server") == kwargs.get("server")
    assert opts["--address"] == kwargs.get("addresses", [])
    assert opts["--ifname"] == kwargs.get("ifnames", [])
    assert opts["--cluster"] is kwargs.get("cluster", False)
    assert opts["--conf"] == kwargs.get("conf", {})
    assert opts.get("--module") == kwargs.get("module")
    assert opts.get("--no-module") == kwargs.get("no_module")
    assert opts.get("--password-env") == kwargs.get("password_env")
    for name in ("workers", "inter_op", "intra_op"):
        flag = "--" + name.replace("_", "-")
        assert opts.get(flag) == (str(kwargs[name]) if name in kwargs else None)


def test_dbshard_options_in_the_order_of_the_launch():
    assert dbshard.argv(
        "d_1",
        7000,
        workdir="/w",
        server="/s",
        addresses=["a"],
        ifnames=["i"],
        cluster=True,
        conf={"k": "v"},
    ) == [
        "--name", "d_1", "--port", "7000", "--dir", "/w", "--server", "/s",
        "--address", "a", "--ifname", "i", "--cluster", "--conf", "k", "v",
    ]  # fmt: skip


_COLOCATED_DEFAULTS = {
    "port": 0,
    "ifname": [],
    "unix_socket": None,
    "socket_permissions": 755,
    "cpus": "",
    "server": None,
    "db_objects": None,
    "conf": [],
    "module": None,
    "no_module": None,
    "workers": 1,
    "inter_op": None,
    "intra_op": None,
    "share_key": None,
    "password_env": None,
}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"port": 6780},
        {"port": 6780, "ifnames": ["eth0", "ib0"], "cpus": "0,1"},
        {"unix_socket": "/tmp/redis.socket", "socket_permissions": 700},
        {"unix_socket": "/tmp/s", "socket_permissions": 755, "cpus": "3"},
        {"port": 1, "conf": {"maxclients": "5", "maxmemory": "1 gb"}},
        {"port": 6781, "db_objects": "/m/.smartsim/m-db-objects.json"},
        {"port": 6782, "module": "/lib/ai.so", "workers": 3, "inter_op": 2, "intra_op": 1},
        {"unix_socket": "/tmp/s", "no_module": "turned off"},
        {"port": 6783, "share_key": "0123abcd"},
        {"unix_socket": "/tmp/s", "password_env": "SR_DB_PASSWORD_colo"},
    ],
)
@pytest.mark.parametrize("app", [["app"], ["/bin/app", "--", "-x", "--name", "y"]])
def test_colocated_round_trip(kwargs, app):
    args, parsed_app = colocated.parse_args(colocated.argv("m", **kwargs, app=app))
    assert parsed_app == app
    expected = dict(_COLOCATED_DEFAULTS, name="m")
    expected.update({k: v for k, v in kwargs.items() if k not in ("ifnames", "conf")})
    expected["ifname"] = kwargs.get("ifnames", [])
    expected["conf"] = [list(pair) for pair in kwargs.get("conf", {}).items()]
    assert vars(args) == expected


def test_colocated_ends_with_the_separator_for_the_launcher():
    assert colocated.argv("m", port=6379) == ["--name", "m", "--port", "6379", "--"]


def test_builders_add_nothing_to_the_shard_start_up():
    """dbshard runs with ``python -S``; importing it (and so its builder) stays light."""
    code = (
        "import sys; import smartsim._core.entrypoints.dbshard; "
        "heavy = [m for m in ('argparse', 'typing', 'smartredis', 'smartsim._core.config') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": dbshard.__file__.rsplit("/smartsim/", 1)[0]},
    )
    assert out.stdout.strip() == "[]"
