#!/usr/bin/env bash
# Start a 3-node Slurm on this one machine, every file under $SLURM_MN_ROOT (default: a new
# temp dir): munged, MariaDB + slurmdbd, slurmctld in the root network namespace, and three
# slurmd, each in its own network and UTS namespace (hostname n1..n3, its own address on a
# private bridge, its interface named ib0; see multinode-common.sh for the layout). A task a
# slurmd starts runs in that node's namespaces: a shard on n2 binds n2's ib0 address.
#
# Prints `export SLURM_MN_ROOT=...` and `export SLURM_CONF=...` on its last lines. Stop it
# with `SLURM_MN_ROOT=... bash scripts/slurm/down-multinode.sh`, which removes every process,
# namespace, link and file this made. Run commands against it with run-multinode.sh, which
# also lets them resolve n1..n3 (without editing /etc/hosts). Needs root, iproute2,
# util-linux, and what scripts/slurm/install.sh installs. It can run beside the single-node
# Slurm of up.sh: other ports, directory, munged, MariaDB and cluster name.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT=${SLURM_MN_ROOT:-$(mktemp -d /tmp/smartsim-slurm-mn.XXXXXX)}
# shellcheck source=multinode-common.sh
source "$here/multinode-common.sh"
CPUS=${SLURM_MN_CPUS:-16}   # per node, more than the machine has (config_overrides: common.sh)
MEM=$(( ($(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 1024) / ${#NODES[@]} ))

if [ "$(id -u)" != 0 ]; then
  echo "slurm up-multinode: needs root (network namespaces, bind mounts)" >&2
  exit 1
fi
if ip -o -4 addr show | grep -q " $NET\.[0-9]*/"; then
  echo "slurm up-multinode: $NET.0/24 is already in use here (another multi-node Slurm?);" \
       "set SLURM_MN_NET to a free /24 prefix such as 10.78.0" >&2
  exit 1
fi
# From here on a failure undoes whatever was made (down works from $ROOT alone).
trap 'status=$?; echo "slurm up-multinode: failed; logs:" >&2; tail -n 20 "$ROOT"/log/* >&2 || true
      SLURM_MN_ROOT=$ROOT bash "$here/down-multinode.sh"; exit $status' EXIT

UP_NAME="slurm up-multinode"   # no UP_TAIL_LOGS: the EXIT trap above prints the logs
# shellcheck source=common.sh
source "$here/common.sh"   # starts the clock of `elapsed`
# shared/: the cluster's shared filesystem (the tests' experiments); nodes/<n>/tmp: each
# node's own /tmp (see start_slurmd).
make_dirs "$ROOT" shared

# MariaDB's first-time setup is the slowest step: run it while the rest is set up.
if ! mariadb_installed "$ROOT"; then
  install_mariadb "$ROOT" &
  install_pid=$!
fi

# 1. munge, with its own key and socket. The socket is a file: the nodes' slurmd reach it
# from their network namespaces, which share the filesystem.
start_munged "$ROOT"

# 2. The network: a bridge in the root namespace, one veth pair per node whose node end
# becomes that node's ib0. No route leaves the bridge.
ip link add "$BRIDGE" type bridge
ip addr add "$CTLD_ADDR/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
for node in "${NODES[@]}"; do
  ns=$(netns_of "$node")
  ip netns add "$ns"
  ip link add "$(veth_of "$node")" type veth peer name "$(veth_of "$node")p"
  ip link set "$(veth_of "$node")p" netns "$ns"
  ip -n "$ns" link set "$(veth_of "$node")p" name ib0
  ip -n "$ns" addr add "$(addr_of "$node")/24" dev ib0
  ip -n "$ns" link set ib0 up
  ip -n "$ns" link set lo up   # shards and colocated databases also listen on loopback
  ip link set "$(veth_of "$node")" master "$BRIDGE"
  ip link set "$(veth_of "$node")" up
done
# Names: the nodes see a hosts file of their own (bind-mounted by start_slurmd); the driver
# sees hosts.driver through run-multinode.sh. /etc/hosts itself is never touched.
{
  echo "127.0.0.1 localhost"
  echo "$CTLD_ADDR $HOST"
  for node in "${NODES[@]}"; do echo "$(addr_of "$node") $node"; done
} > "$ROOT/etc/hosts.nodes"
{
  cat /etc/hosts
  for node in "${NODES[@]}"; do echo "$(addr_of "$node") $node"; done
} > "$ROOT/etc/hosts.driver"
elapsed "munged and network"

# 3. MariaDB on 127.0.0.1 only (only slurmdbd, in the root namespace, talks to it).
if [ -n "${install_pid:-}" ]; then
  wait "$install_pid"
  NEWDB=1
fi
start_mariadb "$ROOT" "$DB_PORT" "${NEWDB:-0}"
elapsed mariadb

write_slurmdbd_conf "$ROOT" "$HOST" "$CTLD_ADDR" "$DBD_PORT" "$DB_PORT"

# Node lines: NodeAddr is how everyone reaches a node, so nothing needs to resolve n1..n3
# for Slurm itself. SlurmdTimeout is short so that a killed node is noticed within seconds.
nodes=()
for node in "${NODES[@]}"; do
  nodes+=("NodeName=$node NodeHostname=$node NodeAddr=$(addr_of "$node") CPUs=$CPUS RealMemory=$MEM State=UNKNOWN")
done
write_slurm_conf "$ROOT" "$CLUSTER" "$CTLD_ADDR" "$CTLD_PORT" "$SLURMD_PORT" "$DBD_PORT" 6 \
  "SlurmdSpoolDir=$ROOT/spool/%n" "SlurmdPidFile=$ROOT/run/slurmd-%n.pid" \
  "SlurmdLogFile=$ROOT/log/slurmd-%n.log" "${nodes[@]}" \
  "PartitionName=mn Nodes=$(IFS=,; echo "${NODES[*]}") Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES"

# 4. slurmdbd, slurmctld (root namespace, reached by the nodes at the bridge address)
start_slurmdbd "$CTLD_ADDR" "$DBD_PORT" "$CLUSTER"
elapsed slurmdbd
slurmctld -f "$SLURM_CONF"
# 5. one slurmd per node, in its namespaces
for node in "${NODES[@]}"; do start_slurmd "$node"; done
add_root_account "$CLUSTER"
all_idle() { [ "$(sinfo -h -N -o %T | grep -c '^idle')" = "${#NODES[@]}" ]; }
wait_for "the nodes (idle)" all_idle
elapsed "${#NODES[@]} nodes idle"
trap - EXIT
echo "export SLURM_MN_ROOT=$ROOT"
echo "export SLURM_CONF=$SLURM_CONF"
