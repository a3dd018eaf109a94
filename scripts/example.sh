#!/usr/bin/env bash
# Run the seed's example driver from examples/ (sets up .venv first).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-venv.sh"
cd "$root/examples"
exec "$root/.venv/bin/python" experiment_example.py "$@"
