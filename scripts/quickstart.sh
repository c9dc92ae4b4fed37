#!/usr/bin/env bash
# From a fresh clone: system libraries, npm packages, build, then the quickstart experiment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}" npm ci --no-audit --no-fund
npm run build
node bin/servesim.js run experiments/quickstart.json --force
