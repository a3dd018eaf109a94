#!/usr/bin/env bash
# Run the whole test suite (sets up .venv first). Extra arguments go to pytest.
# Installs dragonhpc into .venv, and Chromium (scripts/install-chromium.sh), Slurm and Open
# MPI (scripts/slurm/install.sh) on the machine, when missing; starts a single-node Slurm for
# tests/slurm (scripts/slurm/up.sh) and stops it on exit. SMARTSIM_TEST_NO_SLURM=1 skips Slurm: its
# tests are then skipped (and fail the run when CI=true). After the main suite, a full run
# (no extra arguments) runs tests/slurm_multinode on a 3-node Slurm of its own
# (scripts/slurm/test-multinode.sh: started, tested, removed; SMARTSIM_TEST_NO_MULTINODE=1
# skips it). Then scripts/check-py310.sh runs a light check under Python 3.10 in .venv310
# (skipped when the machine has no 3.10).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-venv.sh"
cd "$root"
.venv/bin/ruff check smartsim smartredis tests benchmarks examples
# Types: [tool.mypy] in pyproject.toml (strict on smartsim._core and smartredis); cached in
# .mypy_cache, so a run after a small change takes seconds. Errors fail the run here.
.venv/bin/mypy
# The Dragon runtime for tests/dragon (an optional dependency of the library).
.venv/bin/python -c 'import dragon' 2>/dev/null ||
  .venv/bin/python -m pip install -q dragonhpc ||
  echo "test.sh: dragonhpc did not install; the Dragon tests will be skipped" >&2

# Headless Chromium for the dashboard tests (tests/dashboard); without it they are skipped.
bash scripts/install-chromium.sh ||
  echo "test.sh: chromium did not install; the dashboard browser tests will be skipped" >&2

if [ "${SMARTSIM_TEST_NO_SLURM:-0}" != 1 ]; then
  if bash scripts/slurm/install.sh; then
    started=$(date +%s%N)
    if up=$(bash scripts/slurm/up.sh); then
      eval "$up"   # exports SLURM_ROOT and SLURM_CONF
      trap 'bash "$root/scripts/slurm/down.sh"' EXIT
      echo "test.sh: Slurm up in $(( ($(date +%s%N) - started) / 1000000 )) ms ($SLURM_ROOT)"
    else
      echo "test.sh: Slurm did not start; the Slurm tests will be skipped" >&2
    fi
  else
    echo "test.sh: Slurm could not be installed; the Slurm tests will be skipped" >&2
  fi
fi

status=0
# tests/slurm_multinode needs the 3-node cluster and its node names: it runs on its own below.
.venv/bin/python -m pytest --ignore=tests/slurm_multinode "$@" || status=$?
# After the main suite rather than beside it: the machine's cores are few, and the single-node
# Slurm's timing tests should not share them with three more slurmd and their shards.
if [ $# -eq 0 ] && [ "${SMARTSIM_TEST_NO_SLURM:-0}" != 1 ] &&
   [ "${SMARTSIM_TEST_NO_MULTINODE:-0}" != 1 ]; then
  bash scripts/slurm/test-multinode.sh || status=1
fi
# The oldest supported Python, lightly: install, tests/unit, one database test.
bash scripts/check-py310.sh || status=1
exit "$status"
