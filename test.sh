#!/usr/bin/env bash
# Set up (if needed) and run the EchoStream test suite (tiny data made by the tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup_env.sh
exec .venv/bin/python -m pytest tests -q -p no:cacheprovider "$@"
