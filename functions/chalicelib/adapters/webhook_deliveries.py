"""Each outbound webhook event to a partner and how its delivery went, in DynamoDB, so that the partner can see it
(`GET /v1/partners/{partner_id}/webhook-deliveries`). Kept 30 days (TTL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

KEEP_SECONDS = 30 * 24 * 3600


class WebhookDeliveries:
    def __init__(self, client: Any, table: str, clock: Callable[[], float]) -> None:
        self._client = client
        self._table = table
        self._clock = clock

    def record(self, partner_id: str, delivery_id: str, event: str, alert_id: str, state: str, attempts: int,
               at: str, status_code: int | None = None, error: str | None = None) -> None:
        item: dict[str, Any] = {
            "partner_id": {"S": partner_id}, "delivery_id": {"S": delivery_id}, "event": {"S": event},
            "alert_id": {"S": alert_id}, "state": {"S": state}, "attempts": {"N": str(attempts)},
            "updated_at": {"S": at}, "expires_at": {"N": str(int(self._clock()) + KEEP_SECONDS)}}
        if status_code is not None:
            item["status_code"] = {"N": str(status_code)}
        if error:
            item["error"] = {"S": error[:200]}
        self._client.put_item(TableName=self._table, Item=item)

    def recent(self, partner_id: str, limit: int = 50) -> list[dict[str, Any]]:
        response = self._client.query(TableName=self._table, KeyConditionExpression="partner_id = :p",
                                      ExpressionAttributeValues={":p": {"S": partner_id}}, ScanIndexForward=False,
                                      Limit=limit)
        return [{"delivery_id": i["delivery_id"]["S"], "event": i["event"]["S"], "alert_id": i["alert_id"]["S"],
                 "state": i["state"]["S"], "attempts": int(i["attempts"]["N"]), "updated_at": i["updated_at"]["S"],
                 "status_code": int(i["status_code"]["N"]) if "status_code" in i else None,
                 "error": i.get("error", {}).get("S")} for i in response.get("Items", [])]
