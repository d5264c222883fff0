#!/usr/bin/env bash
# A sweep as a Slurm job array: array task I runs shard I of N, N = the array's size.
#   sbatch --array=1-16 examples/sweep/slurm.sh examples/sweep/sweep.json results
#   scxsim sweep merge results --html report.html      # once every task has ended
# Results go into one shared directory (one file per cell); a task that is re-run skips the
# cells whose results are there. SCXSIM names the binary (default: scxsim on PATH).
#SBATCH --job-name=scxsim-sweep
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
#SBATCH --output=scxsim-sweep-%A_%a.out
set -euo pipefail

sweep=${1:?usage: sbatch --array=1-N slurm.sh SWEEP.json RESULTS_DIR}
out=${2:?usage: sbatch --array=1-N slurm.sh SWEEP.json RESULTS_DIR}
N=${SLURM_ARRAY_TASK_COUNT:?run this as an array job: sbatch --array=1-N}

exec "${SCXSIM:-scxsim}" sweep "$sweep" --shard "$SLURM_ARRAY_TASK_ID/$N" --out "$out" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}"
