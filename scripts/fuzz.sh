#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (clang-19, ASan+UBSan: scripts/sanitized_build.sh, in
# build-san/) and runs each for SECONDS (default 60), one after the other. Prints the executions
# of each harness and the total; exits non-zero if any harness found a crash, hang, sanitizer
# report or multi-line error (the input is saved in build-san/artifacts/, the fuzzer's output
# in build-san/logs/).
# New inputs the fuzzers find accumulate in build-san/corpus/ across runs.
# Usage: scripts/fuzz.sh [SECONDS] [HARNESS...]   (harnesses: bpf_loader bpf_vm rtapp topology cli)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(bpf_loader bpf_vm rtapp topology cli)
build=build-san

targets=(scx_bpf_schedulers)
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
scripts/sanitized_build.sh "${targets[@]}" >/dev/null

mkdir -p "$build/artifacts" "$build/logs"
total=0
failed=()
for h in "${harnesses[@]}"; do
  mkdir -p "$build/corpus/$h"
  seeds=("fuzz/corpus/$h")
  # Besides the committed seeds: our own BPF schedulers, compiled by this build, for the loader;
  # the bundled workloads (read recursively) for the rt-app parser.
  [ "$h" = bpf_loader ] && seeds+=("$build/bpf/schedulers")
  [ "$h" = rtapp ] && seeds+=(workloads)
  log="$build/logs/$h.log"
  # -close_fd_mask=1: the CLI harness's --help output would flood the log.
  if ! "$build/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=10 -close_fd_mask=1 -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$h-" "$build/corpus/$h" "${seeds[@]}" >"$log" 2>&1; then
    failed+=("$h")
    tail -n 40 "$log"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  runs="${runs:-0}"
  total=$((total + runs))
  printf 'fuzz: %-11s %12d executions in %ss\n' "$h" "$runs" "$seconds"
done
printf 'fuzz: %-11s %12d executions\n' total "$total"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/artifacts/, output in $build/logs/)" >&2
  exit 1
fi
