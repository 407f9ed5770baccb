#!/usr/bin/env python3
"""moto's server (the pinned moto[server]), with performance fixes: a Query of the base table reads
only the queried partition, and sending an SQS message does not count the queue's messages.

moto 5.2.5 answers every Query by collecting *all* items of the table, sorting them by (hash, range)
key, and then keeping the queried partition's: O(N log N) in the table's size, in Python, per Query.
DynamoDB reads one partition. So the local pipeline slowed as the table grew (the delivery ledger's
one-item Query took ~100 ms of moto's CPU after a thousand events). Here a base-table Query sees
only its partition's items, which moto then sorts by range key as before: the same items in the same
order, so every answer is what moto would have given, sooner. Index queries, scans and everything else
are moto's own. The store contract suite (tests/tests/e2e/store_contract) runs against this server.

SQS: moto 5.2.5 reads `queue.attributes` for every message it sends (for ContentBasedDeduplication) and
every message it hands out (for MessageRetentionPeriod), and that property also counts the queue's
visible, delayed and in-flight messages, with one clock read per message: O(queue) per message. While a
message is sent or received here those three counts (which neither uses) are left at 0; every other read
of them, GetQueueAttributes included, is moto's. And deleting a message scanned the whole queue twice
(O(queue) per DeleteMessage, ten per batch: at 10,000 queued, most of moto's SQS time); here the scan
stops at the message, which is near the front (the oldest messages are the ones received), with the
same outcome and the same error for a handle no message had. Receiving built the list of every visible
message first, with a clock read per message, to hand out the first ten; here, while a receive runs,
the queue's messages (a snapshot, as before) are looked at one by one until it has enough.

Usage: the same arguments as moto_server (scripts/lib.sh start_moto runs it);
       --check compares the fixed Query and SQS calls with moto's own (scripts/test.sh runs it).
"""

import inspect
import random
import sys
import threading

from moto.dynamodb.models.table import Table
from moto.server import main
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Queue, SQSBackend

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


_SEND = SQSBackend.send_message
_RECEIVE = SQSBackend.receive_message
_COUNTS = {
    name: getattr(Queue, name)
    for name in (
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    )
}
# Whether this thread is sending or receiving a message right now.
_sending = threading.local()


def _not_counting(original):
    def call(self, *args, **kwargs):
        _sending.on = True
        try:
            return original(self, *args, **kwargs)
        finally:
            _sending.on = False

    return call


def _count(original):
    return property(lambda queue: 0 if getattr(_sending, "on", False) else original.fget(queue))


_DELETE = Queue.delete_message
_MESSAGES = Queue.messages
_WAIT = Queue.wait_for_messages
# Whether this thread is receiving messages right now.
_receiving = threading.local()


_RECEIVE_NOT_COUNTING = _not_counting(_RECEIVE)


def _receive(self, *args, **kwargs):
    _receiving.on = True
    try:
        return _RECEIVE_NOT_COUNTING(self, *args, **kwargs)
    finally:
        _receiving.on = False


def _visible(queue):
    if getattr(_receiving, "on", False):
        return (m for m in list(queue._messages) if m.visible and not m.delayed)
    return _MESSAGES.fget(queue)


def _wait_for_messages(self, timeout: int) -> None:
    # Whether any message is visible: the list, as moto reads it (a generator is always true).
    with self._messages_lock:
        self._messages_lock.wait_for(lambda: _MESSAGES.fget(self), timeout=timeout)


def _delete_message(self, receipt_handle: str) -> None:
    if receipt_handle in self.deleted_messages:
        return  # already deleted: moto answers success again
    for index, message in enumerate(self._messages):
        if message.had_receipt_handle(receipt_handle):
            self.pending_messages.discard(message)
            self.deleted_messages.update(message.all_receipt_handles)
            self._messages = self._messages[:index] + self._messages[index + 1 :]
            return
    raise ReceiptHandleIsInvalid()


def _patch(on: bool) -> None:
    Table.all_items = _all_items if on else _ALL_ITEMS
    Table.query = _query if on else _QUERY
    SQSBackend.send_message = _not_counting(_SEND) if on else _SEND
    SQSBackend.receive_message = _receive if on else _RECEIVE
    Queue.delete_message = _delete_message if on else _DELETE
    Queue.messages = property(_visible) if on else _MESSAGES
    Queue.wait_for_messages = _wait_for_messages if on else _WAIT
    for name, original in _COUNTS.items():
        setattr(Queue, name, _count(original) if on else original)


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

        sqs = boto3.client("sqs", region_name="us-east-1")

        def queue_answers(suffix):
            found = []
            for fifo in (False, True):
                name = f"q{suffix}{'.fifo' if fifo else ''}"
                attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
                url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
                extra = {"MessageGroupId": "g"} if fifo else {}
                for i in range(0, 30, 10):
                    entries = [{"Id": f"m{j}", "MessageBody": f"body {j}", **extra} for j in range(i, i + 10)]
                    sent = sqs.send_message_batch(QueueUrl=url, Entries=entries)
                    found.append(sorted(e["Id"] for e in sent.get("Successful", [])))
                if not fifo:
                    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
                received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4)["Messages"]
                counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                found.append({k: v for k, v in counts.items() if k.startswith("ApproximateNumber")})
                handles = [m["ReceiptHandle"] for m in received]
                # Three received, one already deleted, and one no message had.
                sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[3])
                batch = handles[:3] + [handles[3], "not-a-handle"]
                deleted = sqs.delete_message_batch(
                    QueueUrl=url, Entries=[{"Id": f"d{i}", "ReceiptHandle": h} for i, h in enumerate(batch)]
                )
                found.append(sorted(e["Id"] for e in deleted.get("Successful", [])))
                found.append(sorted((e["Id"], e["Code"]) for e in deleted.get("Failed", [])))
                counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                found.append({k: v for k, v in counts.items() if k.startswith("ApproximateNumber")})
                rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
                found.append(sorted(m["Body"] for m in rest))
                if not fifo:
                    while rest:
                        rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                        found.append(sorted(m["Body"] for m in rest))
                    # Everything left is in flight or delayed: a long poll waits and finds nothing.
                    found.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []))
            return found

        _patch(False)
        moto_answers = answers() + queue_answers("a")
        _patch(True)
        fixed_answers = answers() + queue_answers("b")
    same = moto_answers == fixed_answers
    print(f"moto_server.py --check: {len(moto_answers)} answers, {'the same' if same else 'DIFFERENT'}")
    return 0 if same else 1


_patch(True)

if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    sys.argv[0] = "moto_server"
    sys.exit(main())
