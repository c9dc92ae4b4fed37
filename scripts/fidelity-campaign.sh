#!/usr/bin/env bash
# The measurement behind docs/fidelity.md, "Measured error": a live run of
# experiments/fidelity/calibrate.json measures the profile as served from PROFILE and copies it to
# SERVED; then every scenario runs with `servesim fidelity --repeat 3 --profile SERVED`, one after
# another, and scripts/fidelity-table.mjs prints the table. About 20 minutes; run it on a machine
# doing nothing else (at nice -20 where allowed). Results go to results/fidelity/.
#
#   scripts/fidelity-campaign.sh [scenario ...]          (default: all nine)
#   PROFILE=my-cpu.json SERVED=my-cpu-served.json scripts/fidelity-campaign.sh
#
# Defaults: PROFILE=hw-profiles/cpu-node-epyc-2core.json, SERVED=hw-profiles/cpu-node-epyc-2core-served.json
# (the committed pair, which this replaces: on another machine set both). SKIP_CALIBRATE=1 uses
# SERVED as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=$(realpath "${PROFILE:-hw-profiles/cpu-node-epyc-2core.json}")
SERVED=$(realpath -m "${SERVED:-hw-profiles/cpu-node-epyc-2core-served.json}")
nice_cmd=()
if [ "$(nice -n -20 nice 2>/dev/null)" = "-20" ]; then nice_cmd=(nice -n -20); fi
if [ "${SKIP_CALIBRATE:-0}" != 1 ]; then
  "${nice_cmd[@]}" node bin/servesim.js live experiments/fidelity/calibrate.json --set "cluster.profile=$PROFILE" --force --quiet
  cp results/fidelity/calibrate-live/measured-profile.json "$SERVED"
fi
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  scenarios=(clockwork-50 clockwork-90 clockwork-overload clockwork-load-evict fifo-50 fifo-overload triton-50 triton-overload clockwork-50-2exec)
fi
for s in "${scenarios[@]}"; do
  echo "== $s $(date -u +%H:%M:%S)" >&2
  "${nice_cmd[@]}" node bin/servesim.js fidelity "experiments/fidelity/$s.json" --profile "$SERVED" --repeat 3 --force --quiet
done
node scripts/fidelity-table.mjs "${scenarios[@]}"
