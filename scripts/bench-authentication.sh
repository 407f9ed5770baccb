#!/usr/bin/env bash
# Prints what acting for a tenant costs: DynamoDB calls per publish and publish latency, tenant key
# against platform key, through the ingest handler against the emulator (which this script starts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_children EXIT
cd "$ROOT"
ensure_venv
start_moto
cargo bench --locked -p hookline-tests --bench authentication
