"""The official SmartRedis client (``smartredis==0.6.1``) beside ours, on one database.

Its import name is ``smartredis`` too, so it lives in a venv of its own and runs in
subprocesses. Fixtures:

- ``real_smartredis`` (session): a :class:`RealClient` for the venv at
  ``<repo>/.venv-smartredis/`` (or ``$SMARTSIM_TEST_SMARTREDIS_VENV``), reused when it
  imports, else created from PyPI. If it cannot be made the test is skipped, or fails with
  ``CI=true``.
- ``realclient_db``: a standalone database started through an ``Experiment`` once per test
  module, emptied before each test; SSDB and SR_DB_TYPE point at it (our ``Client()``
  connects to it as is).
- ``realclient_cluster``: the same for a 3-shard cluster (``create_database(db_nodes=3)``);
  ``realclient_any_db`` runs a test on each of the two.
- ``realclient_uds``: the database of a model launched with ``colocate_db_uds()``, whose
  application is the real client waiting for the module's tests to end.

``real_smartredis.run(code, db, inputs)`` runs ``code`` in the real client's venv with
``SSDB``/``SR_DB_TYPE`` of ``db`` (so its ``Client()`` connects to ``db``, cluster or not);
the code sees ``np``, ``Client``, ``Dataset``, ``inputs`` and fills ``outputs``, which
``run`` returns.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
from smartsim.database import Orchestrator
from smartsim.status import SmartSimStatus
from tests.conftest import keep_for_the_session
from tests.local.client.conftest import Database, _emptied, _use

REQUIREMENT = "smartredis==0.6.1"
VERSION = REQUIREMENT.split("==")[1]
VENV_ENV = "SMARTSIM_TEST_SMARTREDIS_VENV"
DEFAULT_VENV = Path(__file__).resolve().parents[2] / ".venv-smartredis"
_READY = ".ready"
"""Written into the venv once the install finished, so a half-made venv is never reused."""

# The snippet runner, executed by the venv's Python (isolated: no PYTHONPATH, no cwd).
_RUNNER = textwrap.dedent(
    """
    import json, sys, traceback
    from pathlib import Path
    import numpy as np
    import smartredis
    from smartredis import Client, Dataset

    work = Path(sys.argv[1])
    assert smartredis.__file__.startswith(sys.prefix), smartredis.__file__

    def load(spec):
        return {
            key: (np.load(work / value["npy"])[()] if isinstance(value, dict) and "npy" in value
                  else value)
            for key, value in spec.items()
        }

    inputs = load(json.loads((work / "inputs.json").read_text()))
    outputs = {}
    code = (work / "snippet.py").read_text()
    # compiled under its real path, so that tracebacks and inspect.getsource (set_function)
    # see its lines
    exec(compile(code, str(work / "snippet.py"), "exec"),
         {"np": np, "Client": Client, "Dataset": Dataset, "inputs": inputs,
          "outputs": outputs, "__name__": "__snippet__"})
    spec = {}
    for key, value in outputs.items():
        if isinstance(value, (np.ndarray, np.generic)):
            np.save(work / f"out_{key}.npy", value)
            spec[key] = {"npy": f"out_{key}.npy"}
        else:
            spec[key] = value
    (work / "outputs.json").write_text(json.dumps(spec))
    """
)


@dataclass
class RealClient:
    """Runs Python snippets with the official SmartRedis client."""

    python: Path
    workdir: Path

    def run(
        self,
        code: str,
        db: Database,
        inputs: dict[str, t.Any] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> dict[str, t.Any]:
        """Run ``code`` against ``db`` and return what it put in ``outputs``.

        ``code`` (dedented) sees ``np``, ``Client``, ``Dataset`` (the real client's),
        ``inputs`` and ``outputs``. Values in and out are JSON values, numpy arrays or
        numpy scalars (passed as ``.npy`` files, types kept). ``env`` adds variables
        (``SSKEYIN``, ``SSKEYOUT``...). The test fails with the snippet's traceback if it
        raises.
        """
        work = Path(tempfile.mkdtemp(prefix="run", dir=self.workdir))
        spec = {}
        for key, value in (inputs or {}).items():
            if isinstance(value, (np.ndarray, np.generic)):
                np.save(work / f"in_{key}.npy", value)
                spec[key] = {"npy": f"in_{key}.npy"}
            else:
                spec[key] = value
        (work / "inputs.json").write_text(json.dumps(spec))
        source = textwrap.dedent(code)
        (work / "snippet.py").write_text(source)
        (work / "runner.py").write_text(_RUNNER)
        proc_env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "SSKEYIN", "SSKEYOUT", "VIRTUAL_ENV")
        }
        proc_env.update(
            SSDB=db.ssdb,
            SR_DB_TYPE=db.db_type,
            SR_LOG_LEVEL="QUIET",
            SR_LOG_FILE=str(work / "smartredis.log"),
        )
        proc_env.update(env or {})
        argv = [str(self.python), "-I", str(work / "runner.py"), str(work)]
        try:
            proc = subprocess.run(
                argv, env=proc_env, cwd=work, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"the real-client snippet timed out after {timeout} s:\n{source}\n{exc}")
        if proc.returncode != 0:
            numbered = "\n".join(f"{i:4} {line}" for i, line in enumerate(source.splitlines(), 1))
            pytest.fail(
                f"the real-client snippet failed (exit {proc.returncode}):\n{numbered}\n"
                f"--- stderr ---\n{proc.stderr}--- stdout ---\n{proc.stdout}",
                pytrace=False,
            )
        result = json.loads((work / "outputs.json").read_text())
        return {
            key: np.load(work / value["npy"])[()]
            if isinstance(value, dict) and "npy" in value
            else value
            for key, value in result.items()
        }


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _usable(venv: Path) -> bool:
    if not (venv / _READY).exists() or not _venv_python(venv).exists():
        return False
    check = (
        "import importlib.metadata as m, numpy, smartredis; "
        f"assert m.version('smartredis') == {VERSION!r}"
    )
    proc = subprocess.run(
        [str(_venv_python(venv)), "-I", "-c", check], capture_output=True, timeout=120
    )
    return proc.returncode == 0


def _create(venv: Path) -> str | None:
    """Make the venv; None when done, else what went wrong."""
    shutil.rmtree(venv, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", str(venv)],
        [str(_venv_python(venv)), "-m", "pip", "install", "-q", REQUIREMENT, "numpy"],
    ]
    for argv in steps:
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return f"{' '.join(argv)} timed out"
        if proc.returncode != 0:
            return f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    (venv / _READY).write_text(REQUIREMENT + "\n")
    return None


@pytest.fixture(scope="session")
def real_smartredis(tmp_path_factory) -> RealClient:
    """The official client's venv: reused when importable, created otherwise."""
    venv = Path(os.environ.get(VENV_ENV) or DEFAULT_VENV)
    try:
        venv.parent.mkdir(parents=True, exist_ok=True)
        with open(venv.parent / f"{venv.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one session creates it, others wait and reuse it
            problem = None if _usable(venv) else _create(venv)
    except OSError as exc:
        problem = f"{venv}: {exc}"
    if problem is None and not _usable(venv):
        problem = f"{venv} was created but smartredis {VERSION} does not import there"
    if problem is not None:
        message = f"the official client ({REQUIREMENT}) could not be installed: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return RealClient(_venv_python(venv), tmp_path_factory.mktemp("realclient"))


@contextlib.contextmanager
def experiment_db(
    workdir: Path, shards: int = 1, configure: t.Callable[[Orchestrator], None] | None = None
) -> t.Iterator[Database]:
    """A database of ``shards`` shards (1: standalone, 3: a cluster) started through an
    Experiment in ``workdir`` and stopped on exit; its shards are kept for the session.
    ``configure`` is called with the Orchestrator before it starts."""
    exp = Experiment("realclient-tests", exp_path=str(workdir))
    cluster = shards > 1
    db = exp.create_database(
        port=find_free_ports(shards, cluster=cluster), db_nodes=shards, interface="lo"
    )
    if configure is not None:
        configure(db)
    exp.start(db)
    keep_for_the_session()
    try:
        yield Database(db.get_address(), cluster=cluster)
    finally:
        exp.stop(db)


@pytest.fixture(scope="module")
def _module_db(real_smartredis, tmp_path_factory):
    """A standalone database for the test module, started through an Experiment.

    Asks for ``real_smartredis`` first, so no database starts when the tests will be skipped.
    """
    with experiment_db(tmp_path_factory.mktemp("realclient-db")) as db:
        yield db


@pytest.fixture(scope="module")
def _module_cluster(real_smartredis, tmp_path_factory):
    """A 3-shard cluster for the test module, started through an Experiment."""
    with experiment_db(tmp_path_factory.mktemp("realclient-cluster"), shards=3) as db:
        yield db


@pytest.fixture
def realclient_db(_module_db, monkeypatch) -> Database:
    """The module's standalone database, emptied; SSDB and SR_DB_TYPE point at it."""
    return _use(_emptied(_module_db), monkeypatch)


@pytest.fixture
def realclient_cluster(_module_cluster, monkeypatch) -> Database:
    """The module's 3-shard cluster, emptied; SSDB (every shard) and SR_DB_TYPE point at it."""
    return _use(_emptied(_module_cluster), monkeypatch)


@pytest.fixture(params=["standalone", "cluster"])
def realclient_any_db(request) -> Database:
    """Each test runs on the module's standalone database and on its 3-shard cluster."""
    return request.getfixturevalue(
        "realclient_db" if request.param == "standalone" else "realclient_cluster"
    )


# The colocated model's application, run by the real client's Python: it connects with the
# SSDB/SR_DB_TYPE its launch gave it, reports them, and waits for the stop file (bounded).
_COLOCATED_APP = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from smartredis import Client
    report, stop, limit = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    Client()  # the environment the colocated launch set is enough to connect
    env = {name: os.environ.get(name) for name in ("SSDB", "SR_DB_TYPE")}
    report.with_suffix(".tmp").write_text(json.dumps(env))
    report.with_suffix(".tmp").rename(report)
    deadline = time.monotonic() + limit
    while not stop.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    """
)
COLOCATED_LIFETIME = 1800.0
"""Seconds the colocated application waits for the stop file at most (a crashed test run
leaves nothing behind for longer)."""


@pytest.fixture(scope="module")
def _module_colocated(real_smartredis, tmp_path_factory):
    """A model with a database colocated on a Unix socket (``colocate_db_uds``), launched
    through an Experiment; its application is the real client waiting for a stop file.

    Yields the database as the application saw it (SSDB ``unix://...``).
    """
    workdir = tmp_path_factory.mktemp("realclient-colo")
    # AF_UNIX paths have at most 107 bytes: the socket goes in a short directory of its own
    sockdir = Path(tempfile.mkdtemp(prefix="srcolo", dir="/tmp"))
    report, stop = workdir / "app-env.json", workdir / "stop"
    exp = Experiment("realclient-colocated", exp_path=str(workdir))
    settings = exp.create_run_settings(
        str(real_smartredis.python),
        exe_args=["-I", "-c", _COLOCATED_APP, str(report), str(stop), str(COLOCATED_LIFETIME)],
        env_vars={"SR_LOG_LEVEL": "QUIET", "SR_LOG_FILE": str(workdir / "app-smartredis.log")},
    )
    model = exp.create_model("realclient_app", settings)
    model.colocate_db_uds(unix_socket=str(sockdir / "db.sock"))
    try:
        exp.start(model, block=False)
        keep_for_the_session()
        deadline = time.monotonic() + 60
        while not report.exists():
            if exp.finished(model) or time.monotonic() > deadline:
                err = Path(model.path) / f"{model.name}.err"
                log = err.read_text() if err.exists() else "(no .err file)"
                pytest.fail(f"the colocated application did not start: {log}", pytrace=False)
            time.sleep(0.05)
        env = json.loads(report.read_text())
        assert env == {"SSDB": f"unix://{sockdir / 'db.sock'}", "SR_DB_TYPE": "Standalone"}
        yield Database([env["SSDB"]], cluster=False)
        stop.touch()
        deadline = time.monotonic() + 30
        while not exp.finished(model) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert exp.get_status(model) == [SmartSimStatus.STATUS_COMPLETED]
    finally:
        stop.touch()
        exp.stop(model)
        shutil.rmtree(sockdir, ignore_errors=True)


@pytest.fixture
def realclient_uds(_module_colocated, monkeypatch) -> Database:
    """The module's colocated database (Unix socket), emptied; SSDB and SR_DB_TYPE point at it."""
    return _use(_emptied(_module_colocated), monkeypatch)
