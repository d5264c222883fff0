#!/usr/bin/env bash
# The sanitizer tier (CI runs it after scripts/test.sh): builds the project and its tests with
# ASan+UBSan (g++, -DSCXSIM_SANITIZE=address,undefined) into build-asan/ and runs the fast tier
# there. Any sanitizer report fails the test it happens in (UBSan does not recover).
# Extra arguments go to cmake (e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
# -O1 -g1 (line tables for the reports' stack traces) compiles about twice as fast as -O2 -g.
# Warnings are the normal tier's job (-O1 warns differently), so no -Werror here.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCXSIM_SANITIZE=address,undefined \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DSCXSIM_BUILD_BENCH=OFF -DSCXSIM_WERROR=OFF "$@" >/dev/null
ninja -C "$build" -j"${SCXSIM_JOBS:-2}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Tests run 2-4x slower under the sanitizers, hence the longer per-test limit than test.sh's.
ctest --test-dir "$build" -L fast -j2 --output-on-failure --timeout 1800
