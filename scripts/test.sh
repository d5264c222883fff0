#!/usr/bin/env bash
# Installs dependencies, builds, and runs the fast test tier (tests labelled "slow" are skipped;
# run them with: ctest --test-dir build -L slow).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
ctest --test-dir build -L fast -j2 --output-on-failure --timeout 600
