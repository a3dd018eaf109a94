#!/usr/bin/env bash
# Run the whole test suite (sets up .venv first). Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-venv.sh"
cd "$root"
.venv/bin/ruff check smartsim smartredis tests benchmarks examples
exec .venv/bin/python -m pytest "$@"
