"""The ``smart`` command's subcommands, run as a user runs them (a child process)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys

import pytest

from smartsim import Experiment
from smartsim._core.cli import COMMANDS
from smartsim._core.utils.network import find_free_ports
from smartsim.database.orchestrator import CHECKPOINT_NAME


def smart(*args: str, cwd: str | None = None, stdin: str | None = None, **env: str):
    """Run ``smart`` with these arguments; the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "smartsim._core.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        input=stdin,
        env={**os.environ, **env},
    )


@pytest.fixture
def database(tmp_path):
    """A one-shard database of an experiment in tmp_path (stopped after the test)."""
    exp = Experiment("cli", exp_path=str(tmp_path), launcher="local")
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    exp.start(db)
    yield db
    exp.stop(db)


def test_every_command_has_help():
    listing = smart("--help").stdout
    for command in COMMANDS:
        assert command.name in listing
        done = smart(command.name, "--help")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"usage: smart {command.name}")


def test_no_command_prints_usage_and_an_unknown_option_is_refused():
    assert smart().returncode == os.EX_USAGE
    done = smart("info", "--bogus")
    assert done.returncode == 2 and "unrecognized arguments: --bogus" in done.stderr


def test_build_says_nothing_needs_building_and_accepts_smartsims_flags():
    done = smart("build", "--device", "gpu", "--onnx", "-v")
    assert done.returncode == 0, done.stderr
    assert "nothing to build" in done.stdout
    assert "smartsim-py[ml]" in done.stdout and "smartsim-py[tf]" in done.stdout
    assert "ignored SmartSim build options: --onnx" in done.stdout


def test_site_is_where_smartsim_is_imported_from():
    done = smart("site")
    assert done.returncode == 0
    assert os.path.isfile(os.path.join(done.stdout.strip(), "experiment.py"))


def test_info_lists_the_backends_found_here():
    done = smart("info")
    assert done.returncode == 0, done.stderr
    assert "database server:" in done.stdout and "AI commands" in done.stdout
    torch_row = next(line for line in done.stdout.splitlines() if line.startswith("Torch"))
    assert torch_row.split()[1] == "True"  # the test venv installs torch
    assert "Tensorflow" in done.stdout and "ONNX" in done.stdout


def test_validate_runs_each_backend_and_leaves_nothing(tmp_path):
    done = smart("validate", "--port", str(find_free_ports(1)), cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[1:] if line.strip()}
    assert " OK " in rows["tensor"] and " OK " in rows["Torch"] and " OK " in rows["ONNX"]
    assert "skipped" in rows["TensorFlow"] or " OK " in rows["TensorFlow"]
    assert os.listdir(tmp_path) == []


def test_validate_failure_keeps_the_files_and_exits_2(tmp_path):
    port = find_free_ports(1)
    done = smart("validate", "--port", str(port), "--device", "gpu", cwd=str(tmp_path))
    assert done.returncode == 2
    assert "SmartSim failed to run a simple experiment" in done.stderr
    kept = os.listdir(tmp_path)
    assert len(kept) == 1 and kept[0] in done.stderr


def test_dbcli_runs_one_command_and_prints_like_redis_cli(tmp_path, database):
    assert smart("dbcli", "-e", str(tmp_path), "SET", "greeting", "hi there").stdout == "OK\n"
    assert smart("dbcli", "-e", str(tmp_path), "GET", "greeting").stdout == '"hi there"\n'
    assert smart("dbcli", "-e", str(tmp_path), "GET", "nothing").stdout == "(nil)\n"
    failed = smart("dbcli", "-e", str(tmp_path), "INCR", "greeting")
    assert failed.returncode == 1
    assert failed.stdout.startswith("(error) ERR value is not an integer")


def test_dbcli_reads_commands_from_stdin(tmp_path, database):
    script = 'RPUSH l a "b c" \'\\x00\'\nLRANGE l 0 -1\nLLEN l\nquit\nGET never-run\n'
    done = smart("dbcli", "-e", str(tmp_path), stdin=script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "(integer) 3",
        '1) "a"',
        '2) "b c"',
        '3) "\\\\x00"',
        "(integer) 3",
    ]


def test_dbcli_follows_a_cluster_to_every_shard(tmp_path):
    exp = Experiment("cluster", exp_path=str(tmp_path), launcher="local")
    db = exp.create_database(port=find_free_ports(3, cluster=True), db_nodes=3, interface="lo")
    exp.start(db)
    try:
        keys = [f"key{n}" for n in range(12)]  # spread over the three shards' slots
        for key in keys:
            assert smart("dbcli", "-e", str(tmp_path), "SET", key, key).stdout == "OK\n"
        script = "".join(f"GET {key}\n" for key in keys)
        got = smart("dbcli", "-e", str(tmp_path), stdin=script).stdout.splitlines()
        assert got == [f'"{key}"' for key in keys]
    finally:
        exp.stop(db)


def test_dbcli_without_a_running_database_says_so(tmp_path):
    done = smart("dbcli", "-e", str(tmp_path), "PING")
    assert done.returncode == 1
    assert "No database of experiment" in done.stderr


def test_dbcli_with_two_databases_asks_which(tmp_path):
    exp = Experiment("two", exp_path=str(tmp_path), launcher="local")
    port = find_free_ports(2)
    first = exp.create_database(port=port, interface="lo", db_identifier="first")
    second = exp.create_database(port=port + 1, interface="lo", db_identifier="second")
    exp.start(first, second)
    try:
        done = smart("dbcli", "-e", str(tmp_path), "PING")
        assert done.returncode == 1 and "['first', 'second']" in done.stderr
        assert smart("dbcli", "-e", str(tmp_path), "--db", "second", "PING").stdout == "PONG\n"
        address = second.get_address()[0]
        assert smart("dbcli", "--address", address, "PING").stdout == "PONG\n"
    finally:
        exp.stop(first, second)


def _counter(directory, name: str, text: str) -> str:
    path = os.path.join(directory, name)
    with open(path, "w") as out:
        out.write(text)
    return path


def test_clean_removes_only_unused_temporary_files(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    dead = _counter(tmp, "smartsim-colocated-dead", f"1 {2**22 + 7} 0")  # no such pid
    empty = _counter(tmp, "smartsim-colocated-empty", "0 0 0")
    alive = _counter(tmp, "smartsim-colocated-alive", f"1 {os.getpid()} 0")
    free = _counter(tmp, "smartsim-address-free.lock", "")
    held = _counter(tmp, "smartsim-address-held.lock", "")
    other = _counter(tmp, "unrelated-file", "")
    with open(held) as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        done = smart("clean", str(tmp_path), TMPDIR=str(tmp))
    assert done.returncode == 0, done.stderr
    assert not any(os.path.exists(p) for p in (dead, empty, free))
    assert all(os.path.exists(p) for p in (alive, held, other))
    assert f"removed {dead}" in done.stdout


def test_clean_removes_checkpoints_of_dead_databases_only(tmp_path, database):
    stale_dir = tmp_path / "gone"
    stale_dir.mkdir()
    record = json.loads(open(database.checkpoint_file).read())
    record["db_identifier"] = "gone"
    record["shards"][0]["ports"] = [find_free_ports(1)]  # nothing listens there
    (stale_dir / CHECKPOINT_NAME).write_text(json.dumps(record))
    done = smart("clean", str(tmp_path), TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert not (stale_dir / CHECKPOINT_NAME).exists()
    assert os.path.exists(database.checkpoint_file)


def test_clobber_keeps_the_records_while_something_runs(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    exp = Experiment("clob", exp_path=str(tmp_path), launcher="local")
    model = exp.create_model("sleeper", exp.create_run_settings("sleep", exe_args="60"))
    exp.start(model, block=False)
    records = tmp_path / ".smartsim"
    try:
        done = smart("clobber", str(tmp_path), TMPDIR=str(tmp_path))
        assert done.returncode == 1
        assert "still running: Model sleeper" in done.stdout and records.is_dir()
    finally:
        exp.stop(model)
    done = smart("clobber", str(tmp_path), TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not records.exists() and (tmp_path / "keep.txt").read_text() == "mine"
