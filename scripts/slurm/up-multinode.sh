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
CPUS=${SLURM_MN_CPUS:-16}   # per node, more than the machine has (config_overrides below)
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

# shared/: the cluster's shared filesystem (the tests' experiments); nodes/<n>/tmp: each
# node's own /tmp (see start_slurmd).
mkdir -p "$ROOT"/{etc,run,log,munge,spool/ctld,db,shared}
chmod 755 "$ROOT" "$ROOT/run"   # munged: the socket's directory must be o+x
chmod 700 "$ROOT/munge"         # munged: the key's directory must not be group/world writable
start=$(date +%s%N)
elapsed() { echo "slurm up-multinode: $1 after $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2; }
wait_for() {  # wait_for WHAT COMMAND...: retry every 50 ms for up to 30 s
  local what=$1; shift
  for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "slurm up-multinode: $what did not come up" >&2
  return 1
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# MariaDB's first-time setup is the slowest step: run it while the rest is set up.
if [ ! -d "$ROOT/db/data/mysql" ]; then
  mariadb-install-db --datadir="$ROOT/db/data" --user=root --skip-test-db \
    --auth-root-authentication-method=normal > "$ROOT/log/mariadb-install.log" 2>&1 &
  install_pid=$!
fi

# 1. munge, with its own key and socket. The socket is a file: the nodes' slurmd reach it
# from their network namespaces, which share the filesystem.
[ -f "$ROOT/munge/munge.key" ] || head -c 1024 /dev/urandom > "$ROOT/munge/munge.key"
chmod 600 "$ROOT/munge/munge.key"
munged --socket="$ROOT/run/munge.socket" --key-file="$ROOT/munge/munge.key" \
  --pid-file="$ROOT/run/munged.pid" --log-file="$ROOT/log/munged.log" \
  --seed-file="$ROOT/munge/munged.seed" --force

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
mariadbd --datadir="$ROOT/db/data" --user=root --bind-address=127.0.0.1 --port="$DB_PORT" \
  --socket="$ROOT/run/mysqld.sock" --pid-file="$ROOT/run/mysqld.pid" \
  --log-error="$ROOT/log/mariadb.err" --skip-log-bin --innodb-buffer-pool-size=32M \
  --innodb-log-file-size=8M --skip-name-resolve > /dev/null 2>&1 &
wait_for mariadb mariadb -S "$ROOT/run/mysqld.sock" -uroot -e 'select 1'
if [ "${NEWDB:-0}" = 1 ]; then
  mariadb -S "$ROOT/run/mysqld.sock" -uroot -e "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmpw'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
fi
elapsed mariadb

cat > "$ROOT/etc/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$ROOT/run/munge.socket
DbdHost=$HOST
DbdAddr=$CTLD_ADDR
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$ROOT/log/slurmdbd.log
PidFile=$ROOT/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
CONF
chmod 600 "$ROOT/etc/slurmdbd.conf"

# Node lines: NodeAddr is how everyone reaches a node, so nothing needs to resolve n1..n3
# for Slurm itself. SlurmdTimeout is short so that a killed node is noticed within seconds.
{
  cat <<CONF
ClusterName=$CLUSTER
SlurmctldHost=$HOST($CTLD_ADDR)
AuthType=auth/munge
AuthInfo=socket=$ROOT/run/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$ROOT/spool/ctld
SlurmdSpoolDir=$ROOT/spool/%n
SlurmctldPidFile=$ROOT/run/slurmctld.pid
SlurmdPidFile=$ROOT/run/slurmd-%n.pid
SlurmctldLogFile=$ROOT/log/slurmctld.log
SlurmdLogFile=$ROOT/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$CTLD_ADDR
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$ROOT/run/munge.socket
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=6
InactiveLimit=0
MinJobAge=300
KillWait=2
Waittime=0
CONF
  for node in "${NODES[@]}"; do
    echo "NodeName=$node NodeHostname=$node NodeAddr=$(addr_of "$node") CPUs=$CPUS RealMemory=$MEM State=UNKNOWN"
  done
  echo "PartitionName=mn Nodes=$(IFS=,; echo "${NODES[*]}") Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES"
} > "$SLURM_CONF"

# 4. slurmdbd, slurmctld (root namespace, reached by the nodes at the bridge address)
slurmdbd
wait_for slurmdbd port_open "$CTLD_ADDR" "$DBD_PORT"
sacctmgr -i add cluster "$CLUSTER" > /dev/null 2>&1 || true
elapsed slurmdbd
slurmctld -f "$SLURM_CONF"
# 5. one slurmd per node, in its namespaces
for node in "${NODES[@]}"; do start_slurmd "$node"; done
sacctmgr -i add account default Cluster="$CLUSTER" > /dev/null 2>&1 || true
sacctmgr -i add user root Account=default DefaultAccount=default > /dev/null 2>&1 || true
all_idle() { [ "$(sinfo -h -N -o %T | grep -c '^idle')" = "${#NODES[@]}" ]; }
wait_for "the nodes (idle)" all_idle
elapsed "${#NODES[@]} nodes idle"
trap - EXIT
echo "export SLURM_MN_ROOT=$ROOT"
echo "export SLURM_CONF=$SLURM_CONF"
