"""Partners' idempotency keys, in the idempotency table the workers' Powertools records live in (their keys start
with a function name; ours with `partner-request#`, so neither reads the other's).

A key is claimed with a conditional put that names the alert id chosen for it before the alert exists. Whoever loses
the race, or retries after the winner died, reads the claim and finishes or returns that same alert: two requests
with one key can never make two alerts. The record lives for KEEP_SECONDS (DynamoDB's TTL removes it afterwards).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain.errors import FieldError, HexwatchError

# At least a day is promised; a month, so that a CAP Update or Cancel can find the alert it references by the
# original message's sender and identifier (the key of a CAP message) for that long.
KEEP_SECONDS = 30 * 24 * 3600


def reused_key() -> HexwatchError:
    return HexwatchError("This Idempotency-Key was used before with a different body: use a new key for a new alert.",
                         [FieldError("/headers/Idempotency-Key", "was used with a different body")], 409, "Conflict")


class PartnerRequests:
    def __init__(self, client: Any, table: str, clock: Callable[[], float]) -> None:
        self._client = client
        self._table = table
        self._clock = clock

    @staticmethod
    def _key(partner_id: str, key: str) -> dict[str, Any]:
        return {"id": {"S": f"partner-request#{partner_id}#{key}"}}

    def claim(self, partner_id: str, key: str, digest: str, alert_id: str) -> str:
        """The alert id this key stands for: `alert_id` if the key is new, else the one claimed before (409 when
        that claim was for a different body)."""
        item = {**self._key(partner_id, key), "digest": {"S": digest}, "alert_id": {"S": alert_id},
                "expiration": {"N": str(int(self._clock()) + KEEP_SECONDS)}}
        try:
            self._client.put_item(TableName=self._table, Item=item,
                                  ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                                  ExpressionAttributeValues={":now": {"N": str(int(self._clock()))}})
            return alert_id
        except self._client.exceptions.ConditionalCheckFailedException:
            pass
        existing = self._client.get_item(TableName=self._table, Key=self._key(partner_id, key),
                                         ConsistentRead=True)["Item"]
        if existing["digest"]["S"] != digest:
            raise reused_key()
        return str(existing["alert_id"]["S"])

    def lookup(self, partner_id: str, key: str) -> str | None:
        """The alert id a key of this partner stands for, if it was claimed (and has not expired)."""
        item = self._client.get_item(TableName=self._table, Key=self._key(partner_id, key),
                                     ConsistentRead=True).get("Item")
        if item is None or int(item["expiration"]["N"]) < int(self._clock()):
            return None
        return str(item["alert_id"]["S"])
