#!/usr/bin/env bash
# Install the runtime dependencies, then segment the demo customer base into out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/python -m segmentation demo --out out/demo "$@"
