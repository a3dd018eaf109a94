#!/usr/bin/env bash
# Stop what up.sh started (by pid file, newest first) and remove $SLURM_ROOT.
# KEEP_SLURM_ROOT=1 keeps the directory (its log/ tells what went wrong).
set -uo pipefail
ROOT=${SLURM_ROOT:?set SLURM_ROOT to the directory up.sh printed}
[ -d "$ROOT/run" ] || exit 0
export SLURM_CONF="$ROOT/etc/slurm.conf"
# Cancel what is left so that no slurmstepd outlives slurmd.
scancel --full --quiet --user=root > /dev/null 2>&1 || true
alive() {  # a zombie (left unreaped where init does not reap) counts as gone
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}
for daemon in slurmd slurmctld slurmdbd mysqld munged; do
  pidfile="$ROOT/run/$daemon.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  # MariaDB's data is thrown away with $ROOT: no need for its slow clean shutdown
  signal=TERM; [ "$daemon" = mysqld ] && signal=KILL
  if kill -s "$signal" "$pid" 2>/dev/null; then
    for _ in $(seq 200); do alive "$pid" || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
# slurmstepd daemons of steps still running are children of init once slurmd is gone.
for pid in $(pgrep -x slurmstepd || true); do
  if grep -qsF "$ROOT" "/proc/$pid/environ" "/proc/$pid/cmdline"; then kill -9 "$pid" 2>/dev/null || true; fi
done
[ "${KEEP_SLURM_ROOT:-0}" = 1 ] || rm -rf "$ROOT"
