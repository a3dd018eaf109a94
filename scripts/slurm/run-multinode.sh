#!/usr/bin/env bash
# Run a command (a driver script, pytest...) against the multi-node Slurm of
# up-multinode.sh: SLURM_CONF points at it, and the names n1..n3 resolve to the nodes' ib0
# addresses, as a cluster's node names do, because the command sees $SLURM_MN_ROOT/etc/
# hosts.driver as /etc/hosts. That file is bind-mounted in a mount namespace of the
# command's own, so /etc/hosts is never edited and nothing is left to undo when it exits.
# Usage: SLURM_MN_ROOT=... bash scripts/slurm/run-multinode.sh COMMAND [ARG...]
set -euo pipefail
ROOT=${SLURM_MN_ROOT:?set SLURM_MN_ROOT to the directory up-multinode.sh printed}
[ $# -gt 0 ] || { echo "usage: run-multinode.sh COMMAND [ARG...]" >&2; exit 2; }
export SLURM_CONF="$ROOT/etc/slurm.conf"
exec unshare --mount --propagation private -- sh -c '
  mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$ROOT/etc/hosts.driver" "$@"
