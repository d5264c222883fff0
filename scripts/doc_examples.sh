#!/usr/bin/env bash
# Runs every `build/src/cli/scxsim ...` example of README.md and docs/*.md (```sh blocks) as
# written, in a scratch directory that links the repository's top-level entries (so relative
# paths such as workloads/ and build/ resolve and output files land in the scratch directory).
# Skipped: examples that need root and a quiet host or files the reader makes first (calibrate,
# validate without --reference, DIR placeholders, --cost-profile my-machine.json).
# Usage: scripts/doc_examples.sh [--list]
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

extract() {  # one command per line, continuations joined, comments dropped
  python3 - "$repo" <<'PY'
import glob, re, sys
repo = sys.argv[1]
files = [f"{repo}/README.md"] + sorted(glob.glob(f"{repo}/docs/*.md"))
for f in files:
    for m in re.finditer(r"```sh\n(.*?)```", open(f).read(), re.S):
        cmd = ""
        for line in m.group(1).split("\n"):
            cmd += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
            if line.endswith("\\"):
                continue
            cmd = re.sub(r"\s+#.*$", "", cmd).strip()
            if cmd.startswith("build/src/cli/scxsim "):
                print(cmd)
            cmd = ""
PY
}

# A merge of results that a command this script does not run made (GNU parallel, sbatch,
# kubectl lines are not scxsim commands): its directory is not there.
merges_missing_results() {
  [[ "$1" == *" sweep merge "* ]] || return 1
  local word dirs="${1#* sweep merge }"
  for word in $dirs; do
    case "$word" in -*|*.html|*.json|*.csv|">"*) continue ;; esac
    [ -d "$scratch/$word" ] || return 0  # relative to the scratch directory the commands run in
  done
  return 1
}

skip() {
  merges_missing_results "$1" && return 0
  case "$1" in
    *" calibrate"*|*DIR/*|*my-machine.json*|*"--save-reference"*) return 0 ;;
    *" validate "*) [[ "$1" == *"--reference "* ]] && return 1 || return 0 ;;
  esac
  return 1
}

if [ "${1:-}" = "--list" ]; then extract; exit 0; fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for entry in "$repo"/*; do ln -s "$entry" "$scratch/"; done
failed=0
ran=0
while IFS= read -r cmd; do
  if skip "$cmd"; then echo "skip: $cmd"; continue; fi
  ran=$((ran + 1))
  if (cd "$scratch" && bash -c "$cmd" >/dev/null 2>"$scratch/err"); then
    echo "ok:   $cmd"
  else
    echo "FAIL: $cmd"; sed 's/^/      /' "$scratch/err" | tail -3
    failed=$((failed + 1))
  fi
done < <(extract)
echo "doc examples: $ran run, $failed failed"
[ "$failed" -eq 0 ]
