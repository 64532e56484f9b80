#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium and PostgreSQL), then run
# the whole suite.
# This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
bash scripts/install-debian.sh
# Two workers, each taking whole test modules (module fixtures such as servers stay in one
# process); CLEARSEG_TEST_WORKERS=0 runs everything in this process.
exec .venv/bin/python -m pytest -q -n "${CLEARSEG_TEST_WORKERS:-2}" --dist loadfile "$@"
