"""A slow preview's counting state on its item in the previews table (created by PreviewStore): how many pieces are
still counting, which have counted, where each stopped, and the counts so far (names: domain/previews.py).

Each piece adds its counts in one conditional update that also records it as done, so a piece delivered twice adds
nothing the second time; and it records where it stopped, so that its redelivery queues the same continuation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from ..domain.previews import DONE, DONE_PIECES, ENDS, PIECES_OPEN, PreviewState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

_deserialize = TypeDeserializer().deserialize


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserialize(value) for name, value in item.items()}


class PreviewTally:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, preview_id: str) -> dict[str, Any]:
        return {"preview_id": {"S": preview_id}}

    def get(self, preview_id: str) -> PreviewState | None:
        item = self._client.get_item(TableName=self._table, Key=self._key(preview_id), ConsistentRead=True)
        return PreviewState.from_item(_plain(item["Item"])) if "Item" in item else None

    def start(self, preview_id: str, pieces: int) -> bool:
        """Records how many shards will count; False when a redelivered start finds them recorded already."""
        try:
            self._client.update_item(
                TableName=self._table, Key=self._key(preview_id),
                UpdateExpression="SET #open = :pieces, #ends = :none",
                ConditionExpression="attribute_exists(preview_id) AND attribute_not_exists(#open)",
                ExpressionAttributeNames={"#open": PIECES_OPEN, "#ends": ENDS},
                ExpressionAttributeValues={":pieces": {"N": str(pieces)}, ":none": {"M": {}}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def finish_piece(self, preview_id: str, piece: str, previous: str | None, counts: Mapping[str, int],
                     end: str | None) -> PreviewState | None:
        """Adds a piece's counts once, and records where it stopped (`end`, None when its shard is done); answers the
        state after it, or None if the piece had counted already. The piece it continued is forgotten then, since
        its continuation (this piece) has counted."""
        names = {"#open": PIECES_OPEN, "#done": DONE_PIECES}
        values: dict[str, Any] = {":piece": {"SS": [piece]}, ":one": {"S": piece},
                                  ":opened": {"N": str((1 if end is not None else 0) - 1)}}
        additions = ["#open :opened", "#done :piece"]
        for index, (name, count) in enumerate(sorted(counts.items())):
            names[f"#c{index}"], values[f":c{index}"] = name, {"N": str(count)}
            additions.append(f"#c{index} :c{index}")
        expression = "ADD " + ", ".join(additions)
        if end is not None or previous is not None:
            names["#ends"] = ENDS  # DynamoDB refuses a name the expression does not use
        if end is not None:
            names["#this"], values[":end"] = piece, {"S": end}
            expression += " SET #ends.#this = :end"
        if previous is not None:
            names["#previous"] = previous
            expression += " REMOVE #ends.#previous"
        try:
            response = self._client.update_item(
                TableName=self._table, Key=self._key(preview_id), UpdateExpression=expression,
                ConditionExpression="attribute_exists(#open) AND NOT contains(#done, :one)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return PreviewState.from_item(_plain(response["Attributes"]))

    def finish(self, preview_id: str, result: Mapping[str, Any]) -> None:
        """Shows the result; nothing if the preview expired meanwhile (its item would otherwise come back)."""
        try:
            self._client.update_item(
                TableName=self._table, Key=self._key(preview_id),
                UpdateExpression="SET #status = :done, #result = :r",
                ConditionExpression="attribute_exists(preview_id)",
                ExpressionAttributeNames={"#status": "status", "#result": "result"},
                ExpressionAttributeValues={":done": {"S": DONE}, ":r": {"S": json.dumps(result)}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
