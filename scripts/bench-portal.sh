#!/usr/bin/env bash
# Prints how fast the portal renders with 1,000 messages in the log,
# through the ingest handler against the emulator (which this script starts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_children EXIT
cd "$ROOT"
ensure_venv
start_moto
cargo bench --locked -p hookline-tests --bench portal
