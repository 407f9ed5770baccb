#!/usr/bin/env bash
# Runs the whole pipeline on this machine: the AWS emulator, both functions under `cargo lambda watch`,
# the local SQS event source, and a receiver that verifies signatures. Sends a sample event and shows
# it delivered, then keeps running for your own events until Ctrl-C, which stops everything it started.
#   --check   exit once the sample event is delivered (what the tests use to prove this script works)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_children EXIT
trap 'exit 130' INT TERM
cd "$ROOT"
CHECK_ONLY=false
[ "${1:-}" = "--check" ] && CHECK_ONLY=true

ensure_venv
export PATH="$VENV/bin:$PATH" # cargo-lambda (and the zig it brings) come from the venv
start_moto

log "building the local tools"
cargo build --quiet --locked -p hookline-local -p hookline-cli -p hookline-ingest -p hookline-delivery
TOOLS="$ROOT/target/debug/hookline-local"
HOOKLINE="$ROOT/target/debug/hookline"

LAMBDA_PORT="${HOOKLINE_LAMBDA_PORT:-9000}"
RECEIVER_PORT="${HOOKLINE_RECEIVER_PORT:-9100}"
API="http://127.0.0.1:$LAMBDA_PORT/lambda-url/ingest"

log "provisioning the queues and table of infra/template.yaml"
# Local development's opt-ins: plain http and loopback receivers, and a short retry schedule. Portal
# links point under `cargo lambda watch`'s function URL path.
"$TOOLS" provision --prefix hookline-local --env-file "$STATE/functions.env" \
  --set AllowHttpEndpoints=true --set AllowedPrivateCidrs=127.0.0.0/8 \
  --set RetrySchedule=0s,5s,30s,2m --set "PortalUrl=$API/portal/"
{
  echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
  echo "AWS_REGION=$AWS_REGION"
  echo "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
  echo "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY"
} >> "$STATE/functions.env"
QUEUE_URL="$(grep '^HOOKLINE_DELIVERY_QUEUE_URL=' "$STATE/functions.env" | cut -d= -f2-)"
export HOOKLINE_TABLE_NAME="$(grep '^HOOKLINE_TABLE_NAME=' "$STATE/functions.env" | cut -d= -f2-)"

log "issuing a platform key: hookline platform-key create --name local"
PLATFORM="$("$HOOKLINE" platform-key create --name local)"
# Keys and the endpoint's secret go to files, not to the terminal or a CI log.
json_field() { "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
json_field platform_key <<<"$PLATFORM" > "$STATE/platform-key"
echo "platform key $(json_field key_id <<<"$PLATFORM") in .local/platform-key"

rm -f "$STATE/receiver.secret" "$STATE/receiver.log"

log "starting the receiver on 127.0.0.1:$RECEIVER_PORT"
setsid "$TOOLS" receiver --listen "127.0.0.1:$RECEIVER_PORT" --secret-file "$STATE/receiver.secret" \
  > >(tee "$STATE/receiver.log") 2>"$STATE/receiver.err" &
CHILDREN+=("$!")

log "starting both functions under cargo lambda watch on 127.0.0.1:$LAMBDA_PORT"
setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$LAMBDA_PORT" \
  --env-file "$STATE/functions.env" > "$STATE/lambda.log" 2>&1 &
CHILDREN+=("$!")
wait_http "http://127.0.0.1:$LAMBDA_PORT/" 300

log "starting the SQS event source → delivery function"
# An invocation is given up after the function's timeout; then the function's source is touched, since
# `cargo lambda watch` starts a function again after a file change but not after its process died.
setsid "$TOOLS" event-source --queue-url "$QUEUE_URL" --lambda "http://127.0.0.1:$LAMBDA_PORT" \
  --invoke-timeout-secs 60 --restart-by-touching "$ROOT/functions/delivery/src/main.rs" \
  > "$STATE/event-source.log" 2>&1 &
CHILDREN+=("$!")

PLATFORM_AUTH="Authorization: Bearer $(cat "$STATE/platform-key")"
log "onboarding the tenant \"local\" by its own id: PUT $API/v1/tenants/local"
curl -sS --fail-with-body -X PUT "$API/v1/tenants/local" -H "$PLATFORM_AUTH" -H 'content-type: application/json' \
  -d '{"name":"Local development"}' >/dev/null
log "issuing the tenant's own API key: POST $API/v1/tenants/local/api-keys"
json_field key <<<"$(curl -sS --fail-with-body -X POST "$API/v1/tenants/local/api-keys" -H "$PLATFORM_AUTH" \
  -H 'content-type: application/json' -d '{"name":"local"}')" > "$STATE/api-key"
KEY="$(cat "$STATE/api-key")"
AUTH="Authorization: Bearer $KEY"
echo "tenant local, its key in .local/api-key"

log "registering the receiver as an endpoint: POST $API/v1/endpoints"
ENDPOINT="$(curl -sS --fail-with-body -X POST "$API/v1/endpoints" -H "$AUTH" -H 'content-type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT/webhooks\",\"event_types\":[\"invoice.*\"],\"description\":\"local receiver\"}")"
echo "endpoint $(json_field id <<<"$ENDPOINT") for http://127.0.0.1:$RECEIVER_PORT/webhooks"
# Written aside and renamed into place: the receiver must never read a half-written secret.
"$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$ENDPOINT" > "$STATE/receiver.secret.new"
mv "$STATE/receiver.secret.new" "$STATE/receiver.secret"

log "sending a sample event: POST $API/v1/events"
curl -sS --fail-with-body -X POST "$API/v1/events" -H "$AUTH" -H 'content-type: application/json' \
  -d '{"event_type":"invoice.paid","payload":{"invoice_id":"in_1001","amount":4200,"currency":"eur"}}'
echo

for _ in $(seq 1 600); do
  grep -q "signature verified" "$STATE/receiver.log" 2>/dev/null && break
  sleep 0.2
done
if ! grep -q "signature verified" "$STATE/receiver.log"; then
  echo "the sample event was not delivered; see $STATE/*.log" >&2
  exit 1
fi
log "delivered and verified"

# The CLI against the running pipeline: the attempt log, and the probe, which fails (exit 2) unless
# the receiver refuses a forged signature and a stale timestamp.
export HOOKLINE_API_URL="$API" HOOKLINE_API_KEY="$KEY"
ENDPOINT_ID="$("$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$ENDPOINT")"
log "hookline attempts $ENDPOINT_ID"
"$HOOKLINE" attempts "$ENDPOINT_ID" --compact
log "hookline probe $ENDPOINT_ID"
"$HOOKLINE" probe "$ENDPOINT_ID" --compact

# The portal: a magic link opens it (once) and sets the session cookie; the page then answers.
portal_link() {
  json_field url <<<"$(curl -sS --fail-with-body -X POST "$API/v1/tenants/local/portal-sessions" -H "$PLATFORM_AUTH" \
    -H 'content-type: application/json' -d '{"capabilities":["manage_endpoints","secrets","replay"],"expires_in":3600}')"
}
log "checking the portal: a link opens it once"
opened="$(curl -sS -o /dev/null -w '%{http_code}' -c "$STATE/portal.cookies" "$(portal_link)")"
page="$(curl -sS -o /dev/null -w '%{http_code}' -b "$STATE/portal.cookies" "$API/portal/")"
rm -f "$STATE/portal.cookies"
if [ "$opened" != 303 ] || [ "$page" != 200 ]; then
  echo "the portal did not open: the link answered $opened, the page $page" >&2
  exit 1
fi
$CHECK_ONLY && exit 0
PORTAL_LINK="$(portal_link)"

cat <<MSG

Open the subscriber portal of the tenant "local" (the link works once, within 10 minutes; get another
with: target/debug/hookline portal-link --tenant local, using the platform key):

  $PORTAL_LINK

Hookline is running locally. The tenant "local" has its API key in .local/api-key, and the platform key
(which onboards tenants and acts for any of them) is in .local/platform-key. Send your own events:

  export HOOKLINE_API_KEY=\$(cat .local/api-key)
  curl -X POST $API/v1/events -H "Authorization: Bearer \$HOOKLINE_API_KEY" \\
    -H 'content-type: application/json' -d '{"event_type":"invoice.paid","payload":{"amount":1}}'

The API is described by $API/v1/openapi.yaml. Or use the CLI (target/debug/hookline):

  export HOOKLINE_API_URL=$API HOOKLINE_API_KEY=\$(cat .local/api-key)
  target/debug/hookline send --type invoice.paid --payload '{"amount": 1}'
  target/debug/hookline tail $ENDPOINT_ID

As the platform: onboard another customer and publish for it with the one platform key:

  export HOOKLINE_API_KEY=\$(cat .local/platform-key)
  target/debug/hookline tenant put acme --name Acme
  target/debug/hookline --tenant acme send --type invoice.paid --payload '{"amount": 1}'
  target/debug/hookline portal-link --tenant local --capability replay

Deliveries print above; logs are in .local/ (lambda.log, event-source.log, moto.log).
Ctrl-C stops everything.
MSG
wait
