#!/usr/bin/env bash
# Install what the Slurm and MPI tests need, only when it is missing (Debian/Ubuntu, as root):
# slurm-wlm + slurmdbd + munge + mariadb-server (a single-node Slurm whose sacct works) and
# Open MPI (mpirun). Prints why and returns 1 when it cannot install.
set -euo pipefail
need=()
command -v slurmctld > /dev/null || need+=(slurm-wlm)
command -v slurmdbd > /dev/null || need+=(slurmdbd)
command -v munged > /dev/null || need+=(munge)
command -v mariadbd > /dev/null || need+=(mariadb-server)
command -v mpirun > /dev/null || need+=(openmpi-bin)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
  echo "slurm install: missing ${need[*]}, and apt-get as root is not available" >&2
  exit 1
fi
log=$(mktemp /tmp/smartsim-apt.XXXXXX.log)
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
       --no-install-recommends "${need[@]}"; } > "$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "slurm install: apt-get install ${need[*]} failed (log: $log)" >&2
  exit 1
fi
rm -f "$log"
