#!/usr/bin/env bash
# Stop what up-multinode.sh started and remove all it made: every process in the nodes'
# namespaces, the daemons in the root namespace (by pid file, newest first), the network
# namespaces, the bridge and veth links, and $SLURM_MN_ROOT. Safe to run twice, and on a
# half-made cluster (up-multinode.sh calls it when it fails).
# KEEP_SLURM_ROOT=1 keeps the directory (its log/ tells what went wrong).
set -uo pipefail   # no -e: clean up as much as possible even when a step fails
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT=${SLURM_MN_ROOT:?set SLURM_MN_ROOT to the directory up-multinode.sh printed}
[ -d "$ROOT" ] || exit 0
# shellcheck source=multinode-common.sh
source "$here/multinode-common.sh"

# Cancel what is left (while slurmctld still answers), so jobs end as CANCELLED.
if [ -f "$ROOT/run/slurmctld.pid" ]; then
  timeout 10 scancel --full --quiet --user=root > /dev/null 2>&1 || true
fi
# Everything on a node runs in its network namespace: slurmd, slurmstepd, the tasks, and
# whatever they left behind (a double-forked server). SIGKILL them all: their state is
# thrown away with $ROOT.
for node in "${NODES[@]}"; do kill_node "$node"; done
for daemon in slurmctld slurmdbd mysqld munged; do
  pidfile="$ROOT/run/$daemon.pid"
  [ -f "$pidfile" ] || continue
  # MariaDB's data is thrown away with $ROOT: no need for its slow clean shutdown
  signal=TERM; [ "$daemon" = mysqld ] && signal=KILL
  kill_and_wait "$signal" "$(cat "$pidfile")"
  rm -f "$pidfile"
done
# A batch script's or salloc's processes in the root namespace, if any outlived their job.
for pid in $(pgrep -x slurmstepd || true); do
  if grep -qsF "$ROOT" "/proc/$pid/environ" "/proc/$pid/cmdline"; then kill -9 "$pid" 2>/dev/null || true; fi
done
# Deleting a namespace deletes the node end of its veth pair, and with it the bridge end.
for node in "${NODES[@]}"; do
  ns=$(netns_of "$node")
  if ip netns list | grep -qw "$ns"; then ip netns delete "$ns" || echo "down-multinode: could not delete netns $ns" >&2; fi
  if ip link show "$(veth_of "$node")" > /dev/null 2>&1; then ip link delete "$(veth_of "$node")"; fi
done
if ip link show "$BRIDGE" > /dev/null 2>&1; then ip link delete "$BRIDGE"; fi
[ "${KEEP_SLURM_ROOT:-0}" = 1 ] || rm -rf "$ROOT"
