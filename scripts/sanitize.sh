#!/usr/bin/env bash
# The sanitizer tier (CI runs it after scripts/test.sh): the project and its tests built with
# ASan+UBSan (scripts/sanitized_build.sh, build-san/) and the fast tier run there. Any sanitizer
# report fails the test it happens in (UBSan does not recover; ASan also reports leaks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/sanitized_build.sh
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Tests run 2-4x slower under the sanitizers, hence the longer per-test limit than test.sh's.
ctest --test-dir build-san -L fast -j2 --output-on-failure --timeout 1800
