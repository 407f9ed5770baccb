#!/usr/bin/env bash
# Offline lint of the SAM template (cfn-lint, then `sam validate --lint`) and of the OpenAPI document
# (openapi-spec-validator, which arrives with moto[server]).
# Usage: [HOOKLINE_VENV=/path/to/venv] scripts/check-template.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${HOOKLINE_VENV:-$repo/.venv}"
bin="$venv/bin"
template="infra/template.yaml"

for tool in cfn-lint sam openapi-spec-validator; do
  if [[ ! -x "$bin/$tool" ]]; then
    echo "check-template: $bin/$tool not found (set HOOKLINE_VENV or run scripts/bootstrap.sh)" >&2
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

echo "==> cfn-lint $template"
"$bin/cfn-lint" "$template"

echo "==> sam validate --lint -t $template"
"$bin/sam" validate --lint -t "$template"

echo "==> openapi-spec-validator openapi/openapi.yaml"
"$bin/openapi-spec-validator" openapi/openapi.yaml

echo "OK: $template passes cfn-lint and sam validate --lint; openapi/openapi.yaml is valid OpenAPI"
