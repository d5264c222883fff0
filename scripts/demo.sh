#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job: EEVDF against two sched_ext reference
# policies (vtime and llc) on a bundled workload, printing the comparison table and writing an
# HTML report and Perfetto traces (one per scheduler, e.g. out/demo/trace.eevdf.pftrace) into
# out/demo/.
#
# Other schedulers or EEVDF variants: SCHEDS=eevdf,fifo,central scripts/demo.sh, or
#   VARIANTS='no-rtp:--fair=RUN_TO_PARITY=0' scripts/demo.sh
# (`build/src/cli/scxsim list` shows the scheduler names).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

SCHEDS="${SCHEDS-eevdf,vtime,llc}"
VARIANTS="${VARIANTS-}"
WORKLOAD="${WORKLOAD-demo}"
OUT="${OUT-out/demo}"

args=(--topology laptop --workload "$WORKLOAD" --duration 2s --seeds 1-5 --sched "$SCHEDS")
IFS=';' read -r -a variant_list <<< "$VARIANTS"
for v in "${variant_list[@]}"; do
  [ -n "$v" ] && args+=(--variant "$v")
done
mkdir -p "$OUT"
./build/src/cli/scxsim compare "${args[@]}" --html "$OUT/report.html" --perfetto "$OUT/trace.pftrace" "$@"
echo "demo: wrote $OUT/report.html and $OUT/trace.<variant>.pftrace (open in https://ui.perfetto.dev)" >&2
