#!/usr/bin/env bash
# The measurement behind docs/fidelity.md, "Measured error": the profile as served (a live run of
# experiments/fidelity/calibrate.json) copied to hw-profiles/cpu-node-epyc-2core-served.json, then
# every scenario with `servesim fidelity --repeat 3`, one after another, then the table. Takes
# about 20 minutes; run it on a machine doing nothing else (at nice -20 when allowed). Results go
# to results/fidelity/. Usage: scripts/fidelity-campaign.sh [scenario ...] (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
nice_cmd=(nice -n -20)
"${nice_cmd[@]}" true 2>/dev/null || nice_cmd=()
if [ "${SKIP_CALIBRATE:-0}" != 1 ]; then
  "${nice_cmd[@]}" node bin/servesim.js live experiments/fidelity/calibrate.json --force --quiet
  cp results/fidelity/calibrate-live/measured-profile.json hw-profiles/cpu-node-epyc-2core-served.json
fi
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  scenarios=(clockwork-50 clockwork-90 clockwork-overload clockwork-load-evict fifo-50 fifo-overload triton-50 triton-overload clockwork-50-2exec)
fi
for s in "${scenarios[@]}"; do
  echo "== $s $(date -u +%H:%M:%S)" >&2
  "${nice_cmd[@]}" node bin/servesim.js fidelity "experiments/fidelity/$s.json" --repeat 3 --force --quiet
done
node scripts/fidelity-table.mjs "${scenarios[@]}"
