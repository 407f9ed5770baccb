"""Verifies one delivered webhook with the official Standard Webhooks library (PyPI `standardwebhooks`).

Reads {"secret": "whsec_…", "headers": {...}, "body": "…"} on stdin. Exit 0: verified; exit 1: the
library refused it (its message on stderr); anything else is a broken test setup.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

request = json.load(sys.stdin)
try:
    payload = Webhook(request["secret"]).verify(request["body"], request["headers"])
except WebhookVerificationError as error:
    print(f"refused: {error}", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"verified": True, "type": payload.get("type")}))
