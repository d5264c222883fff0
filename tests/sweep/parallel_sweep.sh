#!/usr/bin/env bash
# The sweep of issue #16's acceptance: 3 schedulers x 4 workloads x 2 topologies x 5 seeds run
# unsharded (--jobs 2), as 8 shards under GNU parallel, and as 5 shards started in a shuffled
# order; all three merge to the same bytes (text, JSON, CSV). Prints the wall times.
# Usage: parallel_sweep.sh SCXSIM SIMPLE_BPF_O WORK_DIR [DURATION]. Exit 77 (skip) without GNU parallel.
set -euo pipefail
scxsim=$1 simple=$2 work=$3 duration=${4:-100ms}
command -v parallel >/dev/null || { echo "GNU parallel is not installed (Debian package 'parallel'): skipped"; exit 77; }

rm -rf "$work" && mkdir -p "$work"
cat > "$work/sweep.json" <<JSON
{
  "schedulers": ["eevdf", "llc", "$simple"],
  "workloads": ["demo", "pingpong:pairs=8", "hackbench:groups=2,loops=20", "schbench:worker_threads=4"],
  "topologies": ["laptop", "nodes=1,llcs=2,cores=4,smt=2"],
  "seeds": 5,
  "duration": "$duration"
}
JSON
cells=$("$scxsim" sweep "$work/sweep.json" --list | wc -l)
[ "$cells" -eq 120 ] || { echo "expected 120 cells, got $cells"; exit 1; }

seconds() { local t0=$EPOCHREALTIME; "$@"; awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }"; }
t_whole=$(seconds "$scxsim" sweep "$work/sweep.json" --jobs 2 --out "$work/whole" 2>/dev/null)
t_eight=$(seconds parallel -j 2 "$scxsim" sweep "$work/sweep.json" --shard {}/8 --jobs 1 --out "$work/eight" \
          ::: $(seq 8) 2>/dev/null)
t_five=$(seconds parallel -j 2 "$scxsim" sweep "$work/sweep.json" --shard {}/5 --jobs 1 --out "$work/five-{}" \
         ::: 5 3 1 4 2 2>/dev/null)

for format in "" --json --csv; do
  "$scxsim" sweep merge "$work/whole" $format > "$work/whole.out"
  "$scxsim" sweep merge "$work/eight" $format > "$work/eight.out"
  "$scxsim" sweep merge "$work"/five-{1..5} $format > "$work/five.out"
  cmp "$work/whole.out" "$work/eight.out"
  cmp "$work/whole.out" "$work/five.out"
done
echo "120 cells of $duration: unsharded --jobs 2 ${t_whole}s; 8 shards, parallel -j 2: ${t_eight}s;" \
     "5 shards shuffled, parallel -j 2: ${t_five}s; merges byte-identical (text, JSON, CSV)"
