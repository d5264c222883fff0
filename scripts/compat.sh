#!/usr/bin/env bash
# Compatibility matrix: runs every .bpf.o in DIR (with its bundled profile, as a user would run
# it: no --set) on three scenarios on server-2s64 and prints
#   scheduler | loads | runs | ejected (message)
# Exit status 0 when every object loads and runs every scenario to the end, 1 otherwise.
#
#   scripts/compat.sh DIR [--scxsim PATH] [--duration 1s] [--topology server-2s64] [--jobs N]
#
# The public scx objects are not in this repository: build them from a checkout of
# sched-ext/scx (docs/sched_ext.md, "Running the public scx schedulers").
set -uo pipefail
here=$(pwd)
root=$(cd "$(dirname "$0")/.." && pwd)

dir=""
scxsim="$root/build/src/cli/scxsim"
duration="1s"
topology="server-2s64"
jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --scxsim) scxsim="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --topology) topology="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) dir="$1"; shift ;;
  esac
done
case "$dir" in /*|"") ;; *) dir="$here/$dir" ;; esac
case "$scxsim" in /*) ;; *) scxsim="$here/$scxsim" ;; esac
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "usage: scripts/compat.sh DIR [--scxsim PATH] [--duration D] [--topology T] [--jobs N]" >&2
  exit 2
fi
if [ ! -x "$scxsim" ]; then
  echo "compat.sh: $scxsim not found (build first: scripts/bootstrap.sh)" >&2
  exit 2
fi
shopt -s nullglob
objects=("$dir"/*.bpf.o)
if [ ${#objects[@]} -eq 0 ]; then
  echo "compat.sh: no .bpf.o files in $dir" >&2
  exit 2
fi

scenarios=("demo" "hackbench:groups=4" "pingpong:pairs=64")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One object on one scenario: writes "loads<TAB>runs<TAB>message" to $out/NAME.N.
run_one() {
  local obj="$1" n="$2" scen="$3" file="$4"
  local log rc
  log=$(timeout 600 "$scxsim" run --sched "$obj" --topology "$topology" --workload "$scen" \
        --duration "$duration" 2>&1)
  rc=$?
  local exit_line
  exit_line=$(printf '%s\n' "$log" | grep -m1 '^EXIT: ' | sed 's/^EXIT: //')
  if [ $rc -eq 124 ]; then
    printf 'yes\tno\ttimed out after 600 s (%s)\n' "$scen" > "$file"
  elif [ $rc -ne 0 ]; then
    local msg loaded=yes
    msg=$(printf '%s\n' "$log" | grep -m1 '^scxsim' | cut -c1-300)
    [ -z "$msg" ] && msg="exit status $rc"
    # A load error names --sched; anything else (a workload past its time limit) ran.
    case "$msg" in "scxsim: --sched:"*) loaded=no ;; esac
    printf '%s\tno\t%s: %s\n' "$loaded" "$scen" "$msg" > "$file"
  elif [ -n "$exit_line" ]; then
    printf 'yes\tno\t%s: %s\n' "$scen" "$(printf '%s' "$exit_line" | cut -c1-300)" > "$file"
  else
    printf 'yes\tyes\t\n' > "$file"
  fi
}
export -f run_one
export scxsim topology duration

i=0
for obj in "${objects[@]}"; do
  for n in 0 1 2; do
    name=$(basename "$obj" .bpf.o)
    printf '%s\0%s\0%s\0%s\0' "$obj" "$n" "${scenarios[$n]}" "$out/$name.$n"
  done
  i=$((i + 1))
done | xargs -0 -n 4 -P "$jobs" bash -c 'run_one "$@"' _

ok=0
echo "| scheduler | loads | runs | ejected (message) |"
echo "|---|---|---|---|"
for obj in "${objects[@]}"; do
  name=$(basename "$obj" .bpf.o)
  loads=yes runs=yes msg=""
  for n in 0 1 2; do
    IFS=$'\t' read -r l r m < "$out/$name.$n"
    [ "$l" = no ] && loads=no
    [ "$r" = no ] && runs=no
    [ -z "$msg" ] && [ -n "$m" ] && msg="$m"
  done
  [ "$runs" = yes ] && ok=$((ok + 1))
  echo "| $name | $loads | $runs | ${msg//|/\\|} |"
done
echo
echo "compat: $ok of ${#objects[@]} schedulers run all of: ${scenarios[*]} ($topology, $duration)"
[ "$ok" -eq "${#objects[@]}" ]
