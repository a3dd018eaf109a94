#!/usr/bin/env bash
# Start a single-node Slurm on loopback, every file under $SLURM_ROOT (default: a new temp dir):
# munged, MariaDB + slurmdbd (so that sacct works), slurmctld, slurmd. No systemd needed.
# Prints `export SLURM_CONF=...` and `export SLURM_ROOT=...` on its last lines; stop it with
# `SLURM_ROOT=... bash scripts/slurm/down.sh`.
# The node declares SLURM_TEST_CPUS CPUs (default 64, more than the machine has, thanks to
# SlurmdParameters=config_overrides) so that many small steps run at once in one allocation.
# Needs: apt-get install slurm-wlm slurmdbd munge mariadb-server (scripts/slurm/install.sh).
set -euo pipefail
ROOT=${SLURM_ROOT:-$(mktemp -d /tmp/smartsim-slurm.XXXXXX)}
CPUS=${SLURM_TEST_CPUS:-64}
HOST=$(hostname -s)
MEM=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 1024 ))
# Ports: well away from the ones the tests pick (20000-50000) and Slurm's defaults.
CTLD_PORT=${SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${SLURM_SLURMD_PORT:-16818}
DBD_PORT=${SLURM_DBD_PORT:-16819}
DB_PORT=${SLURM_DB_PORT:-13306}
mkdir -p "$ROOT"/{etc,run,log,munge,spool/ctld,spool/d,db}
chmod 755 "$ROOT" "$ROOT/run"   # munged: the socket's directory must be o+x
chmod 700 "$ROOT/munge"         # munged: the key's directory must not be group/world writable
start=$(date +%s%N)
elapsed() { echo "slurm up: $1 after $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2; }
wait_for() {  # wait_for WHAT COMMAND...: retry every 50 ms for up to 30 s
  local what=$1; shift
  for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "slurm up: $what did not come up; logs in $ROOT/log" >&2
  tail -n 20 "$ROOT"/log/* >&2 || true
  return 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# 1. munge, with its own key and socket
[ -f "$ROOT/munge/munge.key" ] || head -c 1024 /dev/urandom > "$ROOT/munge/munge.key"
chmod 600 "$ROOT/munge/munge.key"
munged --socket="$ROOT/run/munge.socket" --key-file="$ROOT/munge/munge.key" \
  --pid-file="$ROOT/run/munged.pid" --log-file="$ROOT/log/munged.log" \
  --seed-file="$ROOT/munge/munged.seed" --force
elapsed munged

# 2. MariaDB on 127.0.0.1 only, for slurmdbd
if [ ! -d "$ROOT/db/data/mysql" ]; then
  mariadb-install-db --datadir="$ROOT/db/data" --user=root --skip-test-db \
    --auth-root-authentication-method=normal > "$ROOT/log/mariadb-install.log" 2>&1
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
DbdHost=localhost
DbdAddr=127.0.0.1
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

cat > "$ROOT/etc/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket=$ROOT/run/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$ROOT/spool/ctld
SlurmdSpoolDir=$ROOT/spool/d
SlurmctldPidFile=$ROOT/run/slurmctld.pid
SlurmdPidFile=$ROOT/run/slurmd.pid
SlurmctldLogFile=$ROOT/log/slurmctld.log
SlurmdLogFile=$ROOT/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$ROOT/run/munge.socket
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=2
Waittime=0
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF="$ROOT/etc/slurm.conf"   # slurmdbd reads slurmdbd.conf next to it

slurmdbd
wait_for slurmdbd port_open "$DBD_PORT"
sacctmgr -i add cluster local > /dev/null 2>&1 || true
elapsed slurmdbd
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
sacctmgr -i add account default Cluster=local > /dev/null 2>&1 || true
sacctmgr -i add user root Account=default DefaultAccount=default > /dev/null 2>&1 || true
idle() { sinfo -h -o %T | grep -q '^idle'; }
wait_for "the node (idle)" idle
elapsed "node idle"
echo "export SLURM_ROOT=$ROOT"
echo "export SLURM_CONF=$SLURM_CONF"
