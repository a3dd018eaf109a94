#!/usr/bin/env bash
# Crash or restart one node of the multi-node Slurm (for the node-failure tests):
#   node-multinode.sh kill n2    SIGKILL everything running on n2 (its slurmd, slurmstepd and
#                                tasks), as a node crash would; its network stays
#   node-multinode.sh start n2   start n2's slurmd again and wait until Slurm has it back up
#                                (ReturnToService=2 returns a DOWN node once it registers)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT=${SLURM_MN_ROOT:?set SLURM_MN_ROOT to the directory up-multinode.sh printed}
# shellcheck source=multinode-common.sh
source "$here/multinode-common.sh"
action=${1:?usage: node-multinode.sh kill|start NODE}
node=${2:?usage: node-multinode.sh kill|start NODE}
[[ " ${NODES[*]} " == *" $node "* ]] || { echo "node-multinode: no node $node" >&2; exit 2; }
case $action in
  kill) kill_node "$node" ;;
  start)
    [ -z "$(netns_pids "$node")" ] || { echo "node-multinode: $node is running" >&2; exit 1; }
    start_slurmd "$node"
    # A node marked DOWN while its jobs were killed may need a moment to drain them.
    for _ in $(seq 600); do
      state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
      case $state in idle|mixed|allocated) exit 0 ;; esac
      sleep 0.05
    done
    echo "node-multinode: $node did not come back (state: ${state:-?})" >&2
    exit 1 ;;
  *) echo "usage: node-multinode.sh kill|start NODE" >&2; exit 2 ;;
esac
