#!/usr/bin/env python3
"""AWS cost per million delivered webhooks, from the figures `scripts/bench.sh pipeline` measured.

Usage: scripts/cost.py target/bench-pipeline.json [--memory-mb N] [--ingest-ms N] [--delivery-ms N] ...

The requests and their billed units (DynamoDB capacity units, SQS requests per 64 KiB) were counted at a
proxy in front of the emulator; log bytes were counted as the functions wrote them. Lambda's billed time
is not measured here (the emulator is far slower than DynamoDB and SQS), so it is a stated assumption:
a milliseconds-per-invocation model, overridable by flags. Prices are AWS's public list prices for
us-east-1 (on-demand, no free tier) as of this script's date; check them against the price pages.
"""

import argparse
import json
import re
import sys
from pathlib import Path

PRICES = {
    "api_gateway_http_per_million": 1.00,  # HTTP API, first 300 M requests a month
    "lambda_requests_per_million": 0.20,
    "lambda_gb_s": {"arm64": 0.0000133334, "x86_64": 0.0000166667},
    "sqs_per_million": 0.40,  # standard queue, per 64 KiB chunk of a request
    "dynamodb_write_unit_per_million": 0.625,  # on-demand write request unit
    "dynamodb_read_unit_per_million": 0.125,  # on-demand read request unit
    "logs_per_gb": 0.50,  # CloudWatch Logs standard ingestion
}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
# Lambda's own platform records (start, report) per invocation in the JSON log format; none when the
# template sets SystemLogLevel: WARN. An estimate: check a function's log group in an account.
PLATFORM_LOG_BYTES = 600


def template_settings(template: Path) -> dict:
    text = template.read_text() if template.exists() else ""
    memory = re.search(r"^\s+MemorySize:\s*(\d+)", text, re.M)
    arch = re.search(r"^\s+Architectures:\s*\[\s*(\w+)\s*\]", text, re.M)
    quiet = re.search(r"^\s+SystemLogLevel:\s*WARN", text, re.M)
    return {
        "memory_mb": int(memory.group(1)) if memory else 128,
        "arch": arch.group(1) if arch else "x86_64",
        "platform_log_bytes": 0 if quiet else PLATFORM_LOG_BYTES,
    }


def cost(scenario: dict, args) -> dict:
    """Dollars per million deliveries, by line item."""
    deliveries = scenario["deliveries"] or 1
    per_million = 1_000_000 / deliveries
    api_requests = scenario["api_requests"]
    invocations = scenario["delivery_invocations"]
    events_per_request = scenario["events_per_request"]
    counts = {}
    for phase in ("ingest", "delivery"):
        for op, c in scenario[phase]["requests"].items():
            entry = counts.setdefault(op, {"requests": 0, "billed_units": 0.0})
            entry["requests"] += c["requests"]
            entry["billed_units"] += c["billed_units"]

    def units(service, kinds):
        return sum(c["billed_units"] for op, c in counts.items()
                   if op.startswith(service + ".") and op.split(".", 1)[1] in kinds)

    sqs_units = sum(c["billed_units"] for op, c in counts.items()
                    if op.startswith("SQS.") and not op.endswith(".empty"))
    ingest_ms = args.ingest_ms + args.ingest_ms_per_extra_event * (events_per_request - 1)
    gb = args.memory_mb / 1024
    gb_s = (api_requests * ingest_ms + invocations * args.delivery_ms) / 1000 * gb
    log_bytes = (scenario["ingest"]["log_bytes"] + scenario["delivery"]["log_bytes"]
                 + args.platform_log_bytes * (api_requests + invocations))
    items = {
        "API Gateway": api_requests * PRICES["api_gateway_http_per_million"] / 1e6,
        "Lambda requests": (api_requests + invocations) * PRICES["lambda_requests_per_million"] / 1e6,
        "Lambda compute": gb_s * PRICES["lambda_gb_s"][args.arch],
        "SQS": sqs_units * PRICES["sqs_per_million"] / 1e6,
        "DynamoDB writes": units("DynamoDB", WRITES) * PRICES["dynamodb_write_unit_per_million"] / 1e6,
        "DynamoDB reads": units("DynamoDB", READS) * PRICES["dynamodb_read_unit_per_million"] / 1e6,
        "CloudWatch Logs": log_bytes / 1e9 * PRICES["logs_per_gb"],
    }
    return {name: dollars * per_million for name, dollars in items.items()}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    defaults = template_settings(root / "infra" / "template.yaml")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures", type=Path)
    parser.add_argument("--memory-mb", type=int, default=defaults["memory_mb"])
    parser.add_argument("--arch", choices=["arm64", "x86_64"], default=defaults["arch"])
    parser.add_argument("--ingest-ms", type=float, default=20, help="billed ms of an ingest request of one event")
    parser.add_argument("--ingest-ms-per-extra-event", type=float, default=1, help="and per further event in a batch")
    parser.add_argument("--delivery-ms", type=float, default=50, help="billed ms of a delivery invocation")
    parser.add_argument("--platform-log-bytes", type=int, default=defaults["platform_log_bytes"],
                        help="Lambda's own log bytes per invocation")
    args = parser.parse_args()
    figures = json.loads(args.figures.read_text())
    print(f"\n$ per million delivered webhooks ({args.arch}, {args.memory_mb} MB; ingest {args.ingest_ms:g} ms "
          f"+ {args.ingest_ms_per_extra_event:g} ms per further event, delivery {args.delivery_ms:g} ms per "
          f"invocation; {args.platform_log_bytes} platform log bytes per invocation)")
    goals = {1: 3.00, 100: 1.50}
    for name, scenario in figures.items():
        items = cost(scenario, args)
        total = sum(items.values())
        goal = goals.get(scenario["events_per_request"])
        verdict = f" (goal {goal:.2f}: {'met' if total <= goal else 'not met'})" if goal else ""
        print(f"  {name}: ${total:.2f}{verdict}")
        print("    " + ", ".join(f"{item} {dollars:.3f}" for item, dollars in items.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
