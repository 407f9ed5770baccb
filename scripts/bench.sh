#!/usr/bin/env bash
# Runs one of the benches that need the emulator (which this script starts), and prints its figures:
#   scripts/bench.sh authentication   DynamoDB calls and latency per publish, tenant key against platform key
#   scripts/bench.sh portal           the portal's render times with 1,000 messages in the log
#   scripts/bench.sh fairness         a fast endpoint's latency behind a slow one's backlog, with and without MessageGroupId
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_children EXIT
cd "$ROOT"
case "${1:-}" in
  authentication | portal | fairness) ;;
  *) echo "usage: scripts/bench.sh authentication|portal|fairness" >&2; exit 2 ;;
esac
ensure_venv
start_moto
cargo bench --locked -p hookline-tests --bench "$1"
