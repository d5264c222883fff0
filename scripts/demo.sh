#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on a bundled workload.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
./build/src/cli/scxsim run --topology laptop --workload demo --duration 2s --seed 1 "$@"
