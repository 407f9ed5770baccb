#!/usr/bin/env bash
# The quick path for code-only changes: builds both functions with cargo-lambda (arm64, release) and
# uploads them to the functions of a stack that `sam deploy` already created. It changes code only: the
# template (parameters, queues, alarms, IAM, environment) still goes through `sam build && sam deploy`.
#
# Usage: scripts/deploy-cargo-lambda.sh [--stack NAME] [--region REGION] [--profile PROFILE] [--no-build]
#   --stack    the stack's name (default: $HOOKLINE_STACK, else "hookline", samconfig.toml's stack_name)
#   --region   its region (default: the AWS CLI's: $AWS_REGION, $AWS_DEFAULT_REGION or the profile's)
#   --profile  an AWS CLI profile (default: $AWS_PROFILE or the default credentials)
#   --no-build upload what target/lambda already holds
# Needs: a Rust toolchain, the AWS CLI v2 with credentials, and ./.venv (cargo-lambda and zig; created by
# scripts/test.sh or scripts/run-local.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HOOKLINE_VENV:-$ROOT/.venv}"
STACK="${HOOKLINE_STACK:-hookline}"
BUILD=true
AWS_ARGS=()
# "${AWS_ARGS[@]}" of an empty array is an unbound variable under set -u in bash < 4.4 (macOS's bash).
aws_() { aws ${AWS_ARGS[@]+"${AWS_ARGS[@]}"} "$@"; }

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { echo "deploy-cargo-lambda: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --stack) [ $# -ge 2 ] || usage; STACK="$2"; shift 2 ;;
    --region) [ $# -ge 2 ] || usage; AWS_ARGS+=(--region "$2"); shift 2 ;;
    --profile) [ $# -ge 2 ] || usage; AWS_ARGS+=(--profile "$2"); shift 2 ;;
    --no-build) BUILD=false; shift ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done

command -v aws > /dev/null || die "the AWS CLI (aws) is not on PATH"
cd "$ROOT"

# Read the names first: a wrong stack, region or credentials fail here, before a long build.
output() {
  local value
  value="$(aws_ cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text)"
  if [ -z "$value" ] || [ "$value" = "None" ]; then
    die "stack $STACK has no output $1 (deploy it with sam first)"
  fi
  printf '%s\n' "$value"
}
log "reading the function names from stack $STACK"
INGEST_FUNCTION="$(output IngestFunctionName)"
DELIVERY_FUNCTION="$(output DeliveryFunctionName)"

if $BUILD; then
  [ -x "$VENV/bin/cargo-lambda" ] || die "$VENV/bin/cargo-lambda not found (run scripts/test.sh once to create the venv)"
  export PATH="$VENV/bin:$PATH" # cargo-lambda and the zig it cross-links with
  # The functions run on Graviton (arm64, provided.al2023); the arm64 standard library comes from rustup.
  if command -v rustup > /dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    log "installing the Rust standard library for aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu
  fi
  log "cargo lambda build --release --arm64 (ingest, delivery)"
  cargo lambda build --release --arm64 --output-format zip --locked -p hookline-ingest -p hookline-delivery
fi

# cargo-lambda writes target/lambda/<bin>/bootstrap.zip (under CARGO_TARGET_DIR when that is set).
LAMBDA_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/lambda"
deploy() {
  local bin="$1" function="$2" zip="$LAMBDA_DIR/$1/bootstrap.zip"
  [ -f "$zip" ] || die "$zip not found (build without --no-build)"
  log "updating $function with the $bin build ($zip)"
  aws_ lambda update-function-code --function-name "$function" \
    --zip-file "fileb://$zip" --architectures arm64 \
    --query '{function: FunctionName, sha256: CodeSha256, size: CodeSize}' --output text
  # The next update (or invocation of the new code) must wait until this one is in place.
  aws_ lambda wait function-updated --function-name "$function"
}
deploy ingest "$INGEST_FUNCTION"
deploy delivery "$DELIVERY_FUNCTION"
log "both functions run the new code; the next 'sam deploy' only changes them again if its build differs"
