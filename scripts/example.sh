#!/usr/bin/env bash
# Run the seed's example driver from examples/ (sets up .venv first).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-venv.sh"
cd "$root/examples"
# Outside a scheduler's allocation, run the example as on a workstation, even where a
# scheduler's commands are installed (launcher="auto" would pick it and find no allocation).
if [ -z "${SLURM_JOB_ID:-}${PBS_JOBID:-}${LSB_JOBID:-}" ]; then
  export SMARTSIM_AUTO_LAUNCHER="${SMARTSIM_AUTO_LAUNCHER:-local}"
fi
exec "$root/.venv/bin/python" experiment_example.py "$@"
