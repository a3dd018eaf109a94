#!/usr/bin/env bash
# Create .venv and install the project with its test tools, only when pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-from"
want="$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$root/pyproject.toml")"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log="$venv/install.log"
  # torch is pinned to the CPU build that this kind of machine keeps on disk; an unpinned
  # torch would pull a multi-GB CUDA build. The ml extra is then already satisfied.
  if ! { "$venv/bin/python" -m pip install --upgrade pip &&
         "$venv/bin/python" -m pip install "torch==2.13.0" &&
         "$venv/bin/python" -m pip install -e "$root[test,ml]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup-venv: installing the project failed (log above, kept in $log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
