#!/usr/bin/env bash
# Create .venv and install the project with its test tools, only when pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-from"
# Reinstall when the project's metadata or the C sources of its Valkey module change.
want="$(cd "$root" && cat pyproject.toml setup.py smartsim/_core/aimodule/src/* | sha256sum | cut -d' ' -f1)"
# The smartsim-ai module is compiled by pip install: make sure a C compiler is there.
if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev; } >&2 ||
      echo "setup-venv: could not install gcc; the AI commands will be unavailable" >&2
  else
    echo "setup-venv: no C compiler; the AI commands will be unavailable" >&2
  fi
fi
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
