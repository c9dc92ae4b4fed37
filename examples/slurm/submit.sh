#!/usr/bin/env bash
# Submit a sharded servesim sweep to Slurm: the job array of sweep.sbatch, then merge.sbatch once
# every array task has succeeded (README.md, "Sweeps on a cluster"). Run it from the servesim
# checkout; CONFIG, OUT, MERGED and SERVESIM pass through to both jobs (see sweep.sbatch).
set -euo pipefail
cd "$(dirname "$0")/../.."
jid=$(sbatch --parsable --export=ALL examples/slurm/sweep.sbatch)
jid=${jid%%;*} # --parsable prints "id" or "id;cluster"
mid=$(sbatch --parsable --export=ALL --dependency=afterok:"$jid" examples/slurm/merge.sbatch)
echo "sweep: job array $jid; merge: job ${mid%%;*} (runs after every task of $jid succeeded)"
