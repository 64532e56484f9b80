#!/usr/bin/env bash
# Install the runtime dependencies, then serve Clearseg on http://127.0.0.1:8050 (with a demo run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/python server.py "$@"
