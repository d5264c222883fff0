#!/usr/bin/env bash
# The sanitized build that the sanitizer tier (scripts/sanitize.sh) and the fuzzers
# (scripts/fuzz.sh) share, in build-san/: clang-19 with ASan+UBSan on every target and
# libFuzzer's coverage on the libraries (-DSCXSIM_FUZZ=ON), the tests and the harnesses of fuzz/.
# One build serves both tiers, so CI compiles the project twice (this and scripts/test.sh's), not
# three times. Usage: scripts/sanitized_build.sh [NINJA TARGET...]   (none: everything)
set -euo pipefail
cd "$(dirname "$0")/.."
# -O1 -g1 (line tables for the reports' stack traces) compiles about twice as fast as -O2 -g.
# Warnings are the normal tier's job (clang and -O1 warn differently), so no -Werror here.
cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCXSIM_FUZZ=ON \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DSCXSIM_BUILD_BENCH=OFF -DSCXSIM_WERROR=OFF ${SCXSIM_CMAKE_ARGS:-} >/dev/null
ninja -C build-san -j"${SCXSIM_JOBS:-2}" "$@"
