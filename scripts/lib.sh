# Shared by the project's scripts: the pinned Python tools in ./.venv and the local AWS emulator.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HOOKLINE_VENV:-$ROOT/.venv}"
STATE="$ROOT/.local"
mkdir -p "$STATE"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Creates or refreshes ./.venv from requirements-dev.txt (skipped when the pins did not change).
ensure_venv() {
  local stamp="$VENV/.requirements.sha256"
  local want
  want="$(sha256sum "$ROOT/requirements-dev.txt" | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  log "installing pinned Python tools into $VENV (moto, cargo-lambda, aws-sam-cli, cfn-lint, standardwebhooks, playwright)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
  echo "$want" > "$stamp"
}

# Debian's chromium, which Playwright drives for the portal's browser tests (browsers cannot be
# downloaded by Playwright here, so the distribution's package is the browser).
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return
  fi
  log "installing Debian's chromium for the browser tests"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends chromium >/dev/null; }
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until an HTTP server answers on the URL, or fails after $2 seconds.
wait_http() {
  "$VENV/bin/python" - "$1" "${2:-60}" <<'PY'
import sys, time, urllib.request, urllib.error
url, limit = sys.argv[1], float(sys.argv[2])
deadline = time.time() + limit
while time.time() < deadline:
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # any HTTP answer means it is up
    except Exception:
        time.sleep(0.2)
sys.exit(f"nothing answered at {url} within {limit:.0f}s")
PY
}

# Starts moto's server on a free loopback port and points the AWS SDKs at it through the standard
# variables; the caller's trap stops it (see stop_children). An optional name tells two apart (its log
# is $STATE/<name>.log).
start_moto() {
  local port name="${1:-moto}"
  port="$(free_port)"
  log "starting the AWS emulator ($name) on 127.0.0.1:$port"
  # moto with base-table Query reading one partition, not the whole table (see scripts/moto_server.py).
  setsid "$VENV/bin/python" "$ROOT/scripts/moto_server.py" -H 127.0.0.1 -p "$port" > "$STATE/$name.log" 2>&1 &
  CHILDREN+=("$!")
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_DEFAULT_REGION="$AWS_REGION"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
  wait_http "$AWS_ENDPOINT_URL/moto-api/" 60
}

CHILDREN=()
stop_children() {
  local pid
  for pid in "${CHILDREN[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
