"""Verifies a delivered webhook's Standard Webhooks v1a (Ed25519) signatures with `cryptography`.

Reads {"public_key": "whpk_…", "headers": {...}, "body": "…"} on stdin and checks, as the spec says,
each `v1a,<base64>` entry of `webhook-signature` over `{webhook-id}.{webhook-timestamp}.{body}`.
Exit 0: one verified; exit 1: none did; anything else is a broken test setup.
"""

import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

request = json.load(sys.stdin)
headers = {name.lower(): value for name, value in request["headers"].items()}
key = request["public_key"]
assert key.startswith("whpk_"), key
public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key[len("whpk_"):]))
content = f'{headers["webhook-id"]}.{headers["webhook-timestamp"]}.{request["body"]}'.encode()
for entry in headers["webhook-signature"].split(" "):
    version, _, encoded = entry.partition(",")
    if version != "v1a":
        continue
    try:
        public.verify(base64.b64decode(encoded), content)
    except InvalidSignature:
        continue
    print(json.dumps({"verified": True}))
    sys.exit(0)
print("refused: no v1a signature verifies", file=sys.stderr)
sys.exit(1)
