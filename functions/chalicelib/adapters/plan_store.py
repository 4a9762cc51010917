"""The target's geometry, frozen when an alert is planned, kept beside its progress in the delivery ledger's table:
items `~plan#<n>` of the alert's partition, each a chunk of the compressed geometry (domain/frozen_target.py), so that
a force's boundary fits whatever its size (an item holds at most 400 KB). Written before any shard is queued and read
by every shard piece, with the ledger's TTL. A slow preview's geometry is frozen the same way, under the preview's id
and with the preview's expiry."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..domain.coverage import Target
from ..domain.frozen_target import from_bytes, to_bytes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

PLAN_PREFIX = "~plan#"
CHUNK_BYTES = 350_000
RETENTION_SECONDS = 90 * 24 * 3600  # the ledger's
CACHED_PLANS = 4  # a warm worker reads a plan once per alert, not once per piece


class PlanStore:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._cache: OrderedDict[str, Target] = OrderedDict()

    def freeze(self, alert_id: str, target: Target, expires_at: int | None = None) -> None:
        """Writes the geometry, kept as long as the ledger unless told (a preview's is kept as long as the preview).
        The same alert always freezes the same bytes, so a redelivered plan rewrites them."""
        data = to_bytes(target)
        chunks = [data[start:start + CHUNK_BYTES] for start in range(0, len(data), CHUNK_BYTES)] or [b""]
        expires = str(expires_at if expires_at is not None else int(self._clock()) + RETENTION_SECONDS)
        for number, chunk in enumerate(chunks):
            self._client.put_item(TableName=self._table, Item={
                "alert_id": {"S": alert_id}, "recipient": {"S": f"{PLAN_PREFIX}{number:04d}"},
                "chunks": {"N": str(len(chunks))}, "geometry": {"B": chunk}, "expires_at": {"N": expires}})

    def target(self, alert_id: str) -> Target | None:
        """The frozen geometry, or None if the alert was planned before geometries were frozen."""
        if alert_id in self._cache:
            self._cache.move_to_end(alert_id)
            return self._cache[alert_id]
        parts: list[bytes] = []
        total = 0
        for page in self._client.get_paginator("query").paginate(
                TableName=self._table, ConsistentRead=True,
                KeyConditionExpression="alert_id = :a AND begins_with(recipient, :p)",
                ExpressionAttributeValues={":a": {"S": alert_id}, ":p": {"S": PLAN_PREFIX}}):
            for item in page.get("Items", []):
                parts.append(bytes(item["geometry"]["B"]))
                total = int(item["chunks"]["N"])
        if not parts or len(parts) != total:
            return None
        target = from_bytes(b"".join(parts))
        self._cache[alert_id] = target
        if len(self._cache) > CACHED_PLANS:
            self._cache.popitem(last=False)
        return target
