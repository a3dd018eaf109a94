# Shared by up.sh and up-multinode.sh (sourced, not run): the start-up steps both clusters
# take the same way (munged, MariaDB, slurmdbd and the parts of their configuration that do
# not differ), each given what differs between the two as arguments. Before sourcing, set
# UP_NAME (the prefix of the progress and error lines, e.g. "slurm up") and ROOT (where the
# logs are); set UP_TAIL_LOGS=1 to have wait_for print the logs' last lines when it gives up
# (up-multinode.sh does not: its EXIT trap prints them).

# shellcheck shell=bash
: "${UP_NAME:?UP_NAME must be set before sourcing common.sh}"
: "${ROOT:?ROOT must be set before sourcing common.sh}"
start=$(date +%s%N)

elapsed() {  # elapsed STEP: "<UP_NAME>: STEP after N ms" (since common.sh was sourced)
  echo "$UP_NAME: $1 after $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
}

wait_for() {  # wait_for WHAT COMMAND...: retry every 50 ms for up to 30 s
  local what=$1; shift
  for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  if [ "${UP_TAIL_LOGS:-0}" = 1 ]; then
    echo "$UP_NAME: $what did not come up; logs in $ROOT/log" >&2
    tail -n 20 "$ROOT"/log/* >&2 || true
  else
    echo "$UP_NAME: $what did not come up" >&2
  fi
  return 1
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }   # port_open ADDR PORT

make_dirs() {  # make_dirs ROOT [DIR...]: the directories both clusters use, and DIR...
  local root=$1; shift
  mkdir -p "$root"/{etc,run,log,munge,spool/ctld,db}
  local dir
  for dir in "$@"; do mkdir -p "$root/$dir"; done
  chmod 755 "$root" "$root/run"   # munged: the socket's directory must be o+x
  chmod 700 "$root/munge"         # munged: the key's directory must not be group/world writable
}

start_munged() {  # start_munged ROOT: munged with its own key and socket, under ROOT
  local root=$1
  [ -f "$root/munge/munge.key" ] || head -c 1024 /dev/urandom > "$root/munge/munge.key"
  chmod 600 "$root/munge/munge.key"
  munged --socket="$root/run/munge.socket" --key-file="$root/munge/munge.key" \
    --pid-file="$root/run/munged.pid" --log-file="$root/log/munged.log" \
    --seed-file="$root/munge/munged.seed" --force
}

mariadb_installed() { [ -d "$1/db/data/mysql" ]; }   # mariadb_installed ROOT

install_mariadb() {  # install_mariadb ROOT: MariaDB's first-time setup (its slowest step)
  mariadb-install-db --datadir="$1/db/data" --user=root --skip-test-db \
    --auth-root-authentication-method=normal > "$1/log/mariadb-install.log" 2>&1
}

start_mariadb() {  # start_mariadb ROOT PORT NEWDB: MariaDB on 127.0.0.1:PORT only, for
  # slurmdbd; waits until it answers. NEWDB=1 (a fresh install_mariadb) adds slurmdbd's user.
  local root=$1 port=$2 newdb=$3
  mariadbd --datadir="$root/db/data" --user=root --bind-address=127.0.0.1 --port="$port" \
    --socket="$root/run/mysqld.sock" --pid-file="$root/run/mysqld.pid" \
    --log-error="$root/log/mariadb.err" --skip-log-bin --innodb-buffer-pool-size=32M \
    --innodb-log-file-size=8M --skip-name-resolve > /dev/null 2>&1 &
  wait_for mariadb mariadb -S "$root/run/mysqld.sock" -uroot -e 'select 1'
  if [ "$newdb" = 1 ]; then
    mariadb -S "$root/run/mysqld.sock" -uroot -e "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmpw'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
  fi
}

write_slurmdbd_conf() {  # write_slurmdbd_conf ROOT DBD_HOST DBD_ADDR DBD_PORT DB_PORT
  local root=$1 dbd_host=$2 dbd_addr=$3 dbd_port=$4 db_port=$5
  cat > "$root/etc/slurmdbd.conf" <<CONF
AuthType=auth/munge
AuthInfo=socket=$root/run/munge.socket
DbdHost=$dbd_host
DbdAddr=$dbd_addr
DbdPort=$dbd_port
SlurmUser=root
LogFile=$root/log/slurmdbd.log
PidFile=$root/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
CONF
  chmod 600 "$root/etc/slurmdbd.conf"
}

write_slurm_conf() {  # write_slurm_conf ROOT CLUSTER CTLD_ADDR CTLD_PORT SLURMD_PORT DBD_PORT
  #                     SLURMD_TIMEOUT [LINE...]
  # $ROOT/etc/slurm.conf: slurmctld and slurmdbd reached at CTLD_ADDR, then LINE... (where
  # each slurmd keeps its files, the nodes, the partition).
  local root=$1 cluster=$2 ctld_addr=$3 ctld_port=$4 slurmd_port=$5 dbd_port=$6
  local slurmd_timeout=$7
  shift 7
  {
    cat <<CONF
ClusterName=$cluster
SlurmctldHost=$(hostname -s)($ctld_addr)
AuthType=auth/munge
AuthInfo=socket=$root/run/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$root/spool/ctld
SlurmctldPidFile=$root/run/slurmctld.pid
SlurmctldLogFile=$root/log/slurmctld.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$ctld_addr
AccountingStoragePort=$dbd_port
AccountingStoragePass=$root/run/munge.socket
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=$slurmd_timeout
InactiveLimit=0
MinJobAge=300
KillWait=2
Waittime=0
CONF
    printf '%s\n' "$@"
  } > "$root/etc/slurm.conf"
}

start_slurmdbd() {  # start_slurmdbd ADDR PORT CLUSTER: slurmdbd (it reads slurmdbd.conf next
  # to $SLURM_CONF), waits until it listens at ADDR:PORT, and registers CLUSTER with it
  slurmdbd
  wait_for slurmdbd port_open "$1" "$2"
  sacctmgr -i add cluster "$3" > /dev/null 2>&1 || true
}

add_root_account() {  # add_root_account CLUSTER: root's account, so that root's jobs are accounted
  sacctmgr -i add account default Cluster="$1" > /dev/null 2>&1 || true
  sacctmgr -i add user root Account=default DefaultAccount=default > /dev/null 2>&1 || true
}
