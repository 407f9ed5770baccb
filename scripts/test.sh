#!/usr/bin/env bash
# Runs every test: template checks, unit tests, handler tests and the end-to-end tests through the
# real AWS SDK clients against the local emulator. Installs what it needs on a fresh machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_children EXIT
cd "$ROOT"

ensure_venv
ensure_chromium
log "checking infra/template.yaml (cfn-lint, sam validate --lint)"
HOOKLINE_VENV="$VENV" bash "$ROOT/scripts/check-template.sh"

log "checking that the emulator's faster Query answers as moto's own (scripts/moto_server.py)"
"$VENV/bin/python" "$ROOT/scripts/moto_server.py" --check
start_moto
export HOOKLINE_PYTHON="$VENV/bin/python"
log "cargo test --workspace"
cargo test --workspace --locked "$@" 2>&1 | tee "$STATE/cargo-test.log"

# The README's other command must keep working too: run the whole local pipeline once, on free ports,
# and stop when the sample event has been delivered and verified.
log "smoke test: scripts/run-local.sh --check"
HOOKLINE_LAMBDA_PORT="$(free_port)" HOOKLINE_RECEIVER_PORT="$(free_port)" \
  bash "$ROOT/scripts/run-local.sh" --check > "$STATE/run-local-check.log" 2>&1 \
  || { tail -40 "$STATE/run-local-check.log"; exit 1; }
log "the local pipeline delivered a verified webhook"

# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' \
  "$STATE/cargo-test.log"
