"""Tests' reads of an alert's delivery ledger entries. adapters/ledger.py keeps them under one partition key per
bucket (`<alert>#<bucket>`), so a test that looks at all of them reads every one of those partitions."""

from __future__ import annotations

from typing import Any

import boto3

from chalicelib.adapters.ledger import entry_partition, entry_partitions
from chalicelib.adapters.models import DeliveryModel

# What an erased resident's entry keeps (adapters/ledger.py): its keys, the contact's hash and its expiry.
TOMBSTONE_SHAPE = frozenset({"alert_id", "recipient", "contact", "expires_at"})


def ledger_entries(alert_id: str) -> list[DeliveryModel]:
    """Every recipient entry of the alert, in sort-key order, as the model reads them."""
    found = [entry for partition in entry_partitions(alert_id)
             for entry in DeliveryModel.query(partition, consistent_read=True)]
    return sorted(found, key=lambda e: e.recipient)


def ledger_entry(alert_id: str, key: str) -> DeliveryModel:
    return DeliveryModel.get(entry_partition(alert_id, key), key, consistent_read=True)


def entry_item_key(alert_id: str, key: str) -> dict[str, Any]:
    """The low-level client's Key of one entry."""
    return {"alert_id": {"S": entry_partition(alert_id, key)}, "recipient": {"S": key}}


def raw_ledger_items(table: str, alert_id: str) -> list[dict[str, Any]]:
    """Every recipient item of the alert as stored, every attribute (the model leaves out those it does not map)."""
    client = boto3.client("dynamodb")
    items = []
    for partition in entry_partitions(alert_id):
        pages = client.get_paginator("query").paginate(
            TableName=table, KeyConditionExpression="alert_id = :p", ConsistentRead=True,
            ExpressionAttributeValues={":p": {"S": partition}})
        items += [item for page in pages for item in page.get("Items", [])]
    return items
