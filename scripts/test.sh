#!/usr/bin/env bash
# Runs every test: template checks, unit tests, handler tests and the end-to-end tests through the
# real AWS SDK clients against the local emulator. Installs what it needs on a fresh machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_children EXIT
cd "$ROOT"

ensure_venv
log "checking infra/template.yaml (cfn-lint, sam validate --lint)"
HOOKLINE_VENV="$VENV" bash "$ROOT/scripts/check-template.sh"

start_moto
export HOOKLINE_PYTHON="$VENV/bin/python"
log "cargo test --workspace"
cargo test --workspace --locked "$@"
