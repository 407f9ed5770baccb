#!/usr/bin/env bash
# Offline checks of what deploys: the SAM template (cfn-lint, `sam validate --lint`, then `sam build`,
# which compiles both functions for arm64 with cargo-lambda the way `sam build && sam deploy` does) and
# the OpenAPI document (openapi-spec-validator, which arrives with moto[server]). No Docker, no AWS.
# Usage: [HOOKLINE_VENV=/path/to/venv] scripts/check-template.sh [--release | --no-build]
#   (default)   sam build in debug mode (SAM_BUILD_MODE=debug: cargo lambda build without --release):
#               the same SAM, cargo-lambda, zig and arm64 path as a deploy, about 7 min cold on 2 cores
#   --release   the exact release build a deploy makes (LTO; about 14 min cold on 2 cores)
#   --no-build  skip sam build (the lints take seconds)
# It builds into .aws-sam/check, never .aws-sam/build, so a later `sam deploy` cannot pick up a test build.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${HOOKLINE_VENV:-$repo/.venv}"
bin="$venv/bin"
template="infra/template.yaml"
build=true
mode=debug
case "${1:-}" in
  "") ;;
  --release) mode=release ;;
  --no-build) build=false ;;
  *) echo "usage: scripts/check-template.sh [--release | --no-build]" >&2; exit 2 ;;
esac

for tool in cfn-lint sam openapi-spec-validator cargo-lambda; do
  if [[ ! -x "$bin/$tool" ]]; then
    echo "check-template: $bin/$tool not found (set HOOKLINE_VENV or run scripts/test.sh)" >&2
    exit 1
  fi
done

cd "$repo"

# No network: keep SAM from phoning home. `--lint` needs no AWS calls, but a
# region must resolve; dummy credentials keep boto from probing for real ones.
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
unset AWS_PROFILE AWS_SESSION_TOKEN
# sam build runs `cargo lambda`, which must be the venv's (with the zig it cross-links with).
export PATH="$bin:$PATH"

echo "==> cfn-lint $template"
"$bin/cfn-lint" "$template"

echo "==> sam validate --lint -t $template"
"$bin/sam" validate --lint -t "$template"

echo "==> openapi-spec-validator openapi/openapi.yaml"
"$bin/openapi-spec-validator" openapi/openapi.yaml

if ! $build; then
  echo "OK: $template passes cfn-lint and sam validate --lint (sam build skipped); openapi/openapi.yaml is valid OpenAPI"
  exit 0
fi

# The functions run on Graviton (arm64); cargo-lambda cross-compiles, but the target's standard library
# comes from rustup. Installed once per toolchain; a no-op (and offline) when it is there already.
arm64="aarch64-unknown-linux-gnu"
if ! rustup target list --installed 2> /dev/null | grep -qx "$arm64"; then
  echo "==> rustup target add $arm64"
  rustup target add "$arm64"
fi

# samconfig.toml names the template. .aws-sam/ is git-ignored.
build_dir=".aws-sam/check"
echo "==> sam build --build-dir $build_dir ($mode: cargo lambda build --arm64 for both functions)"
started=$SECONDS
if [ "$mode" = debug ]; then
  # The check is that it builds: without debug info, which is much of a debug build's time and disk.
  CARGO_PROFILE_DEV_DEBUG=0 SAM_BUILD_MODE=debug "$bin/sam" build --build-dir "$build_dir"
else
  env -u SAM_BUILD_MODE "$bin/sam" build --build-dir "$build_dir"
fi
for function in IngestFunction DeliveryFunction; do
  artifact="$build_dir/$function/bootstrap"
  # An ELF's e_machine (2 bytes at offset 18) is 183 for AArch64.
  machine="$(od -An -t u2 -j 18 -N 2 "$artifact" 2> /dev/null | tr -d ' ')"
  if [ "$machine" != 183 ]; then
    echo "check-template: $artifact is missing or not an arm64 executable" >&2
    exit 1
  fi
done
echo "    built both arm64 bootstraps ($mode) in $((SECONDS - started)) s"

echo "OK: $template passes cfn-lint and sam validate --lint and builds with sam build; openapi/openapi.yaml is valid OpenAPI"
