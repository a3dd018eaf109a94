# Shared by up-/down-/node-/run-multinode.sh (sourced, not run): the names and addresses of
# one 3-node Slurm on this machine, all derived from its directory $ROOT, so that down and
# node can find everything up made from that directory alone.
#
# Layout (root network namespace = the "front end": slurmctld, slurmdbd, MariaDB, munged and
# the driver):
#   bridge  mn<tag>br  $NET.1/24          slurmctld and slurmdbd are reached here
#   node i  netns mn<tag>-n<i>, UTS hostname n<i>, interface ib0 = $NET.1<i>/24 (the node end
#           of the veth pair mn<tag>v<i>, whose other end is on the bridge), its own loopback
# Nothing is routed outside the bridge: no default route in the nodes, no forwarding, no NAT.

# shellcheck shell=bash
: "${ROOT:?ROOT must be set before sourcing multinode-common.sh}"
TAG=$(basename "$ROOT" | tr -cd 'a-zA-Z0-9' | tail -c 6)   # link names are at most 15 chars
NET=${SLURM_MN_NET:-10.77.0}           # a /24 nothing else on the machine uses (up checks)
BRIDGE="mn${TAG}br"
NODES=(n1 n2 n3)
CLUSTER=mn3
HOST=$(hostname -s)                    # slurmctld checks SlurmctldHost against its own name
CTLD_ADDR="$NET.1"
# Ports: away from the tests' (20000-50000), Slurm's defaults and the single-node Slurm's
# (16817-16819, MariaDB 13306), so that both clusters can run at once.
CTLD_PORT=${SLURM_MN_CTLD_PORT:-16827}
SLURMD_PORT=${SLURM_MN_SLURMD_PORT:-16828}
DBD_PORT=${SLURM_MN_DBD_PORT:-16829}
DB_PORT=${SLURM_MN_DB_PORT:-13316}
export SLURM_CONF="$ROOT/etc/slurm.conf"
PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)   # this checkout

netns_of() { echo "mn${TAG}-$1"; }                 # netns_of n2 -> mn<tag>-n2
veth_of() { echo "mn${TAG}v${1#n}"; }              # root-side end of n2's link
addr_of() { echo "$NET.1${1#n}"; }                 # n2 -> $NET.12

alive() {  # alive PID: running (a zombie left unreaped where init does not reap is gone)
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

any_alive() {  # any_alive PID...: at least one of them runs
  local pid
  for pid in "$@"; do alive "$pid" && return 0; done
  return 1
}

kill_and_wait() {  # kill_and_wait SIGNAL PID...: signal, wait up to 10 s, then SIGKILL
  local signal=$1; shift
  [ $# -gt 0 ] || return 0
  kill -s "$signal" "$@" 2>/dev/null || true
  for _ in $(seq 200); do
    any_alive "$@" || return 0
    sleep 0.05
  done
  kill -9 "$@" 2>/dev/null || true
}

netns_pids() {  # every process in node $1's network namespace (slurmd, slurmstepd, tasks)
  ip netns pids "$(netns_of "$1")" 2>/dev/null || true
}

start_slurmd() {  # start_slurmd NODE: slurmd inside the node's namespaces
  local node=$1 tmp="$ROOT/nodes/$1/tmp"
  # nsenter joins the node's network namespace; unshare gives it a UTS namespace (its own
  # hostname) and a mount namespace, so that the bind mounts below are private to the node
  # and need no undoing. (Not `ip netns exec`: it remounts /sys, which hides
  # /sys/fs/cgroup, and slurmd will not start without it.) slurmd daemonizes; its children
  # (slurmstepd, the tasks) inherit all of these namespaces.
  # The node's /tmp is its own, as on a cluster (where /tmp is node-local): what tasks keep
  # there (colocated databases' lock files and Unix sockets) is not seen by other nodes.
  # $ROOT stays at its path inside it (bound before /tmp is replaced): slurm.conf, munge's
  # socket, and $ROOT/shared, the "shared filesystem" the tests' experiments live in. So
  # does the project (its code and .venv, like a cluster's shared home) when it lies under
  # /tmp, as a fresh clone may.
  local shared=() dir
  for dir in "$ROOT" "$PROJECT_ROOT"; do
    case "$dir/" in /tmp/*) shared+=("$dir") ;; esac   # elsewhere they are seen anyway
  done
  mkdir -p "$ROOT/spool/$node" "$tmp"
  chmod 1777 "$tmp"
  for dir in "${shared[@]}"; do mkdir -p "$tmp/${dir#/tmp/}"; done
  nsenter --net="/run/netns/$(netns_of "$node")" \
    unshare --uts --mount --propagation private -- sh -c '
      root=$1 node=$2 tmp=$3; shift 3
      mount --bind "$root/etc/hosts.nodes" /etc/hosts || exit 1
      for dir in "$@"; do mount --bind "$dir" "$tmp/${dir#/tmp/}" || exit 1; done
      mount --rbind "$tmp" /tmp &&
      hostname "$node" &&
      exec slurmd -f "$root/etc/slurm.conf" -N "$node"' sh "$ROOT" "$node" "$tmp" "${shared[@]}"
}

kill_node() {  # kill_node NODE: SIGKILL everything running on the node (as a crash would)
  local pids
  mapfile -t pids < <(netns_pids "$1")
  [ ${#pids[@]} -eq 0 ] && return 0
  kill -9 "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 200); do
    [ -z "$(netns_pids "$1")" ] && break
    sleep 0.05
  done
  rm -f "$ROOT/run/slurmd-$1.pid"
}
