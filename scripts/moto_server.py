#!/usr/bin/env python3
"""moto's server (the pinned moto[server]), with one performance fix: a Query of the base table reads
only the queried partition.

moto 5.2.5 answers every Query by collecting *all* items of the table, sorting them by (hash, range)
key, and then keeping the queried partition's: O(N log N) in the table's size, in Python, per Query.
DynamoDB reads one partition. So the local pipeline slowed as the table grew (the delivery ledger's
one-item Query took ~100 ms of moto's CPU after a thousand events). Here a base-table Query sees
only its partition's items, which moto then sorts by range key as before: the same items in the same
order, so every answer is what moto would have given, sooner. Index queries, scans and everything else
are moto's own. The store contract suite (tests/tests/e2e/store_contract) runs against this server.

Usage: the same arguments as moto_server (scripts/lib.sh start_moto runs it);
       --check compares the fixed Query with moto's own on a random table (scripts/test.sh runs it).
"""

import inspect
import random
import sys
import threading

from moto.dynamodb.models.table import Table
from moto.server import main

_QUERY = Table.query
_ALL_ITEMS = Table.all_items
_QUERY_SIGNATURE = inspect.signature(_QUERY)
# Which partition the Query running on this thread reads (moto's server answers on several threads).
_reading = threading.local()


def _all_items(self):
    partition = getattr(_reading, "partition", None)
    if partition is not None and partition[0] is self:
        return list(self.items.get(partition[1], {}).values())
    return _ALL_ITEMS(self)


def _query(self, *args, **kwargs):
    arguments = _QUERY_SIGNATURE.bind(self, *args, **kwargs).arguments
    hash_key = arguments.get("hash_key")
    if arguments.get("index_name") or not self.range_key_attr or hash_key is None:
        return _QUERY(self, *args, **kwargs)
    _reading.partition = (self, hash_key)
    try:
        return _QUERY(self, *args, **kwargs)
    finally:
        _reading.partition = None


def _patch(on: bool) -> None:
    Table.all_items = _all_items if on else _ALL_ITEMS
    Table.query = _query if on else _QUERY


def check() -> int:
    """Runs the same queries (key conditions, ranges, both orders, limits, pages) with moto's Query and
    with this one; 0 when every answer is the same."""
    import boto3
    from moto import mock_aws

    rng = random.Random(7)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        keys = [("pk", "HASH"), ("sk", "RANGE")]
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": a, "KeyType": k} for a, k in keys],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a, _ in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(400):
            item = {"pk": {"S": f"P{rng.randint(0, 20)}"}, "sk": {"S": f"S{rng.randint(0, 999):04}"}}
            client.put_item(TableName="t", Item={**item, "v": {"N": str(i)}})
        queries = []
        for p in range(22):
            values = {":p": {"S": f"P{p}"}, ":a": {"S": "S0100"}, ":b": {"S": "S0500"}}
            queries += [
                {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": values[":p"]}},
                {
                    "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                    "ExpressionAttributeValues": values,
                    "ScanIndexForward": False,
                    "Limit": 3,
                },
                {
                    "KeyConditionExpression": "pk = :p AND begins_with(sk, :a)",
                    "ExpressionAttributeValues": {":p": values[":p"], ":a": {"S": "S01"}},
                    "Limit": 2,
                },
            ]

        def answers():
            found = []
            for query in queries:
                page = client.query(TableName="t", **query)
                found.append((page["Items"], page.get("LastEvaluatedKey"), page["ScannedCount"]))
                if "LastEvaluatedKey" in page:
                    rest = client.query(TableName="t", ExclusiveStartKey=page["LastEvaluatedKey"], **query)
                    found.append((rest["Items"], rest.get("LastEvaluatedKey"), rest["ScannedCount"]))
            return found

        _patch(False)
        moto_answers = answers()
        _patch(True)
        fixed_answers = answers()
    same = moto_answers == fixed_answers
    print(f"moto_server.py --check: {len(moto_answers)} answers, {'the same' if same else 'DIFFERENT'}")
    return 0 if same else 1


_patch(True)

if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    sys.argv[0] = "moto_server"
    sys.exit(main())
