#!/usr/bin/env bash
# Runs one of the benches that need the emulator (which this script starts), and prints its figures:
#   scripts/bench.sh authentication   DynamoDB calls and latency per publish, tenant key against platform key
#   scripts/bench.sh portal           the portal's render times with 1,000 messages in the log
#   scripts/bench.sh fairness         a fast endpoint's latency behind a slow one's backlog, with and without MessageGroupId
#   scripts/bench.sh pipeline         the cost of a delivered webhook: events/s and deliveries/s, CPU per 1,000, AWS
#                                     requests per delivery (counted at a proxy in front of the emulator), log
#                                     bytes, $ per million (scripts/cost.py), init times and binary sizes
#                                     (HOOKLINE_BENCH_EVENTS=N sets the events per scenario, default 1,000)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_children EXIT
cd "$ROOT"
case "${1:-}" in
  authentication | portal | fairness | pipeline) ;;
  *) echo "usage: scripts/bench.sh authentication|portal|fairness|pipeline" >&2; exit 2 ;;
esac
ensure_venv
start_moto
if [ "$1" != pipeline ]; then
  cargo bench --locked -p hookline-tests --bench "$1"
  exit
fi

MOTO_PID="${CHILDREN[-1]}"
DYNAMODB_URL="$AWS_ENDPOINT_URL"
PIDS="moto:$MOTO_PID"
SQS_ROUTE=()
# One moto process is single-threaded Python: with DynamoDB and SQS in one, the emulator is the bound.
# Two (the proxy routes each service to its own) use both cores. HOOKLINE_BENCH_EMULATORS=1 for one.
if [ "${HOOKLINE_BENCH_EMULATORS:-2}" = 2 ]; then
  start_moto moto-sqs
  SQS_ROUTE=(--sqs-upstream "$AWS_ENDPOINT_URL")
  PIDS="moto:$MOTO_PID,moto-sqs:${CHILDREN[-1]}"
fi
PROFILE="${HOOKLINE_BENCH_PROFILE:-release}"
cargo build --quiet --locked --profile "$PROFILE" -p hookline-local
LOCAL_TOOLS="$ROOT/target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/hookline-local"
log "starting the counting proxy in front of the emulator"
coproc PROXY {
  exec "$LOCAL_TOOLS" counting-proxy --upstream "$DYNAMODB_URL" "${SQS_ROUTE[@]}" 2>"$STATE/proxy.log"
}
CHILDREN+=("$PROXY_PID")
read -r PROXY_URL <&"${PROXY[0]}"
export AWS_ENDPOINT_URL="$PROXY_URL" HOOKLINE_COUNTS_URL="$PROXY_URL"
export HOOKLINE_BENCH_PIDS="$PIDS,proxy:$PROXY_PID"
cargo bench --locked --profile "$PROFILE" -p hookline-tests --bench pipeline
"$VENV/bin/python" "$ROOT/scripts/cost.py" "$ROOT/target/bench-pipeline.json"
cargo build --quiet --locked --profile "$PROFILE" -p hookline-ingest -p hookline-delivery
BINARIES="$(dirname "$LOCAL_TOOLS")"
cargo bench --quiet --locked --profile "$PROFILE" -p hookline-local --bench init -- "$BINARIES/ingest" "$BINARIES/delivery"
