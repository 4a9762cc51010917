"""The two fixes `infra/local/emulator.py` applies to moto keep DynamoDB's behaviour: a cancelled transaction leaves
every item as it was, and a Query reads the asked partition only, in key order, page by page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def table(emulator: Any) -> Iterator[str]:
    client = boto3.client("dynamodb")
    name = f"patches-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"},
                                              {"AttributeName": "state", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by-state", "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}]}])
    yield name
    client.delete_table(TableName=name)


def _put(table: str, pk: str, sk: str, state: str) -> None:
    boto3.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}, "state": {"S": state}})


def _state(table: str, pk: str, sk: str) -> str | None:
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}},
                                             ConsistentRead=True).get("Item")
    return item["state"]["S"] if item else None


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table: str) -> None:
    for index in range(20):
        _put(table, "alert", f"r{index:02d}", "queued")
    _put(table, "alert", "r99", "sent")

    claim = [{"Update": {"TableName": table, "Key": {"pk": {"S": "alert"}, "sk": {"S": f"r{index:02d}"}},
                         "UpdateExpression": "SET #s = :claimed", "ConditionExpression": "#s = :queued",
                         "ExpressionAttributeNames": {"#s": "state"},
                         "ExpressionAttributeValues": {":claimed": {"S": "claimed"}, ":queued": {"S": "queued"}}}}
             for index in (0, 1, 99)]
    claim.append({"Put": {"TableName": table, "Item": {"pk": {"S": "alert"}, "sk": {"S": "new"}, "state": {"S": "x"}}}})
    claim.append({"Delete": {"TableName": table, "Key": {"pk": {"S": "alert"}, "sk": {"S": "r05"}}}})
    with pytest.raises(ClientError) as refused:
        boto3.client("dynamodb").transact_write_items(TransactItems=claim)

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [_state(table, "alert", sk) for sk in ("r00", "r01", "r05", "r99", "new")] == \
        ["queued", "queued", "queued", "sent", None]

    boto3.client("dynamodb").transact_write_items(TransactItems=claim[:2])
    assert [_state(table, "alert", sk) for sk in ("r00", "r01", "r02")] == ["claimed", "claimed", "queued"]


def test_a_query_reads_only_its_partition_in_order_page_by_page_and_an_index_reads_them_all(table: str) -> None:
    for index in range(30):
        _put(table, "alert-a", f"email#{index:02d}", "queued")
        _put(table, "alert-b", f"email#{index:02d}", "queued")
    _put(table, "alert-a", "sms#00", "queued")
    _put(table, "alert-a", "voice#00", "sent")
    _put(table, "alert-b", "voice#00", "sent")

    client, keys, start = boto3.client("dynamodb"), [], None
    while True:
        page = client.query(TableName=table, KeyConditionExpression="pk = :pk AND begins_with(sk, :channel)",
                            ExpressionAttributeValues={":pk": {"S": "alert-a"}, ":channel": {"S": "email#"}},
                            Limit=7, **({"ExclusiveStartKey": start} if start else {}))
        keys += [(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break

    assert keys == [("alert-a", f"email#{index:02d}") for index in range(30)]
    assert client.query(TableName=table, KeyConditionExpression="pk = :pk",
                        ExpressionAttributeValues={":pk": {"S": "nobody"}})["Items"] == []
    # An index query still reads across every partition (erasure finds a resident's entries in every alert so).
    everywhere = client.query(TableName=table, IndexName="by-state", KeyConditionExpression="#s = :s",
                              ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":s": {"S": "sent"}})
    assert sorted(item["pk"]["S"] for item in everywhere["Items"]) == ["alert-a", "alert-b"]
    newest = client.query(TableName=table, KeyConditionExpression="pk = :pk", ScanIndexForward=False, Limit=1,
                          ExpressionAttributeValues={":pk": {"S": "alert-b"}})["Items"]
    assert newest[0]["sk"]["S"] == "voice#00"  # the highest sort key first
