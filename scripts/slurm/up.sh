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
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
UP_NAME="slurm up" UP_TAIL_LOGS=1
# shellcheck source=common.sh
source "$here/common.sh"   # starts the clock of `elapsed`
make_dirs "$ROOT" spool/d

# 1. munge, with its own key and socket
start_munged "$ROOT"
elapsed munged

# 2. MariaDB on 127.0.0.1 only, for slurmdbd
if ! mariadb_installed "$ROOT"; then
  install_mariadb "$ROOT"
  NEWDB=1
fi
start_mariadb "$ROOT" "$DB_PORT" "${NEWDB:-0}"
elapsed mariadb

write_slurmdbd_conf "$ROOT" localhost 127.0.0.1 "$DBD_PORT" "$DB_PORT"
write_slurm_conf "$ROOT" local 127.0.0.1 "$CTLD_PORT" "$SLURMD_PORT" "$DBD_PORT" 30 \
  "SlurmdSpoolDir=$ROOT/spool/d" "SlurmdPidFile=$ROOT/run/slurmd.pid" \
  "SlurmdLogFile=$ROOT/log/slurmd.log" \
  "NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN" \
  "PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES"
export SLURM_CONF="$ROOT/etc/slurm.conf"   # slurmdbd reads slurmdbd.conf next to it

start_slurmdbd 127.0.0.1 "$DBD_PORT" local
elapsed slurmdbd
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
add_root_account local
idle() { sinfo -h -o %T | grep -q '^idle'; }
wait_for "the node (idle)" idle
elapsed "node idle"
echo "export SLURM_ROOT=$ROOT"
echo "export SLURM_CONF=$SLURM_CONF"
