#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium and PostgreSQL), then run
# the whole suite.
# This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
bash scripts/install-debian.sh
exec .venv/bin/python -m pytest -q "$@"
