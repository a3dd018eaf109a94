#!/usr/bin/env bash
# The multi-node suite: start the 3-node Slurm (up-multinode.sh), run tests/slurm_multinode
# against it (through run-multinode.sh, so that n1..n3 resolve), and remove the cluster on
# exit, whatever happened. Extra arguments go to pytest. When the cluster does not start,
# the tests still run and skip (or, with CI=true, fail) saying why.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
started=$(date +%s%N)
# A fresh directory always: a SLURM_MN_ROOT in the caller's environment may name a cluster
# that is running.
if up=$(env -u SLURM_MN_ROOT bash scripts/slurm/up-multinode.sh); then
  eval "$up"   # exports SLURM_MN_ROOT and SLURM_CONF
  trap 'bash "$root/scripts/slurm/down-multinode.sh"' EXIT
  echo "test-multinode: 3-node Slurm up in $(( ($(date +%s%N) - started) / 1000000 )) ms ($SLURM_MN_ROOT)"
  bash scripts/slurm/run-multinode.sh .venv/bin/python -m pytest tests/slurm_multinode "$@"
else
  echo "test-multinode: the 3-node Slurm did not start; its tests will be skipped" >&2
  env -u SLURM_MN_ROOT .venv/bin/python -m pytest tests/slurm_multinode "$@"
fi
