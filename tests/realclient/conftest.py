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

``real_smartredis.run(code, db, inputs)`` runs ``code`` in the real client's venv with
``SSDB``/``SR_DB_TYPE`` of ``db``; the code sees ``np``, ``Client``, ``Dataset``,
``inputs`` and fills ``outputs``, which ``run`` returns.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import typing as t
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from smartsim import Experiment
from smartsim._core.utils.network import find_free_ports
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
    exec(compile(code, "<snippet>", "exec"),
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


@pytest.fixture(scope="module")
def _module_db(real_smartredis, tmp_path_factory):
    """A standalone database for the test module, started through an Experiment.

    Asks for ``real_smartredis`` first, so no database starts when the tests will be skipped.
    """
    exp = Experiment("realclient-tests", exp_path=str(tmp_path_factory.mktemp("realclient-db")))
    db = exp.create_database(port=find_free_ports(1), interface="lo")
    exp.start(db)
    keep_for_the_session()
    try:
        yield Database(db.get_address(), cluster=False)
    finally:
        exp.stop(db)


@pytest.fixture
def realclient_db(_module_db, monkeypatch) -> Database:
    """The module's standalone database, emptied; SSDB and SR_DB_TYPE point at it."""
    return _use(_emptied(_module_db), monkeypatch)
