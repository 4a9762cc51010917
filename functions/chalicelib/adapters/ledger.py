"""The delivery ledger (table `<prefix>-deliveries`, see DeliveryModel): an alert's frozen audience and what became of
each recipient, written with the low-level client because its hot paths need what PynamoDB hides: conditional
updates batched into transactions, their per-item cancellation reasons, and counters added in the same transaction.

No message is sent twice because a recipient is claimed (queued -> claimed, conditionally) before the provider call,
and only the claimant records the outcome. A worker that dies between the provider's answer and the record leaves
its recipients `claimed`; whoever next meets them after CLAIM_TIMEOUT marks them `unconfirmed`: counted and shown,
never resent, because the provider may well have sent them.

Items of one alert share its partition:
- `<channel>#<bucket>#<resident>`: one recipient on one channel;
- `~targeting`: the plan (shards_total), finished shard pieces, audience counts;
- `~tally#<slot>`: delivery counters (`<channel>_<state>`), spread over TALLY_SLOTS items so that many workers can
  add to them without contending for one item.

And one partition per SMS or voice message the provider accepted, `~provider#<channel>#<provider message id>` (sort
key `~pointer`): the alert and ledger key it was sent for, written in the transaction that records it `sent`, because
SNS's SMS delivery logs and the voice events name only the provider's message id. Pointers carry no contact and
expire after POINTER_RETENTION_SECONDS (receipts come within 72 hours).

After the send, receipts move an entry on (`settle`): sent -> delivered (the provider says it arrived; the tally keeps
counting it as sent too), sent -> failed or bounced (it did not arrive), and an `unconfirmed` entry, whose send was
never recorded, becomes what its receipt proves. Each move is one conditional transaction with its tally change, so a
receipt delivered twice counts once.
"""

from __future__ import annotations

import random
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .provider_errors import Provider, classify

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

TARGETING = "~targeting"
TALLY_PREFIX = "~tally#"
TALLY_SLOTS = 8
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
BATCH_WRITE_ITEMS = 25
RETENTION_SECONDS = 90 * 24 * 3600
CLAIM_TIMEOUT_SECONDS = 15 * 60  # longer than any worker's run: a claim this old was left by a worker that died

QUEUED, CLAIMED, SENT, FAILED, BOUNCED = "queued", "claimed", "sent", "failed", "bounced"
UNCONFIRMED, SUPPRESSED, CANCELLED = "unconfirmed", "suppressed", "cancelled"
DELIVERED = "delivered"  # the provider says it arrived (after sent; counted as sent as well)
PROGRESS_STATES = (QUEUED, SENT, DELIVERED, FAILED, BOUNCED, UNCONFIRMED, SUPPRESSED, CANCELLED)

POINTER_PREFIX = "~provider#"
POINTER = "~pointer"
POINTER_CHANNELS = frozenset({"sms", "voice"})  # email finds its entry through its SES tags instead
POINTER_RETENTION_SECONDS = 7 * 24 * 3600

# What a receipt does to an entry, by the state it finds: the tally's changes (sent stays counted when an entry is
# delivered; an entry that failed or bounced after it was sent leaves `sent` or `delivered`, so the per-channel counts
# still add up to what was released). Any other pair is left alone.
SETTLE_MOVES: dict[tuple[str, str], dict[str, int]] = {
    (SENT, DELIVERED): {DELIVERED: 1},
    (UNCONFIRMED, DELIVERED): {UNCONFIRMED: -1, SENT: 1, DELIVERED: 1},
    (SENT, FAILED): {SENT: -1, FAILED: 1},
    (UNCONFIRMED, FAILED): {UNCONFIRMED: -1, FAILED: 1},
    (SENT, BOUNCED): {BOUNCED: 1},  # progress shows sent less bounced
    (DELIVERED, BOUNCED): {DELIVERED: -1, BOUNCED: 1},
    (UNCONFIRMED, BOUNCED): {UNCONFIRMED: -1, SENT: 1, BOUNCED: 1},
}


def pointer_partition(channel: str, provider_id: str) -> str:
    return f"{POINTER_PREFIX}{channel}#{provider_id}"


@dataclass(frozen=True)
class LedgerEntry:
    key: str  # <channel>#<bucket>#<resident>
    resident_id: str
    channel: str
    contact: str  # contact hash, or push:<resident>
    language: str
    status: str = QUEUED
    footage: bool = False


@dataclass(frozen=True)
class Claim:
    claimed: list[str]
    refused: list[str]  # someone else holds them, or they are done: never sent by this worker


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": str(value)}




def _retryable(error: ClientError) -> bool:
    """Throttled, failed inside or in a conflicting transaction: DynamoDB's table in adapters/provider_errors.py."""
    return classify(error, Provider.DYNAMODB).retryable


class LedgerUnavailable(Exception):
    """DynamoDB kept refusing (throttled) after retries: the SQS message is retried later, as a whole."""


class DeliveryLedger:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, attempts: int = 6,
                 claim_timeout: float = CLAIM_TIMEOUT_SECONDS) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._sleep = sleep
        self._attempts = attempts
        self._claim_timeout = claim_timeout

    @property
    def claim_timeout(self) -> float:
        """Seconds after which a claim is taken as left by a dead worker."""
        return self._claim_timeout

    # --- targeting -------------------------------------------------------------------------------------------------

    def start_plan(self, alert_id: str, shards_total: int) -> bool:
        """Records the plan once; False when it was already recorded (a redelivered plan job)."""
        try:
            self._call("put_item",
                TableName=self._table,
                Item={"alert_id": _s(alert_id), "recipient": _s(TARGETING), "shards_total": _n(shards_total),
                      "expires_at": _n(int(self._clock()) + RETENTION_SECONDS)},
                ConditionExpression="attribute_not_exists(recipient)")
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def targeting(self, alert_id: str) -> dict[str, Any]:
        item = self._call("get_item", TableName=self._table, Key={"alert_id": _s(alert_id),
                                                                   "recipient": _s(TARGETING)},
                                     ConsistentRead=True).get("Item")
        return _plain(item) if item else {}

    def put_entries(self, alert_id: str, entries: Iterable[LedgerEntry]) -> int:
        """Writes recipients (overwriting the same key is harmless before release: the same resident and channel)."""
        expires = int(self._clock()) + RETENTION_SECONDS
        requests = [{"PutRequest": {"Item": {
            "alert_id": _s(alert_id), "recipient": _s(e.key), "resident_id": _s(e.resident_id),
            "channel": _s(e.channel), "contact": _s(e.contact), "language": _s(e.language), "status": _s(e.status),
            "footage": {"BOOL": e.footage}, "expires_at": _n(expires)}}} for e in entries]
        for start in range(0, len(requests), BATCH_WRITE_ITEMS):
            self._batch_write(requests[start:start + BATCH_WRITE_ITEMS])
        return len(requests)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        for attempt in range(self._attempts):
            try:
                response = self._client.batch_write_item(RequestItems={self._table: pending})
            except ClientError as error:
                if not _retryable(error):
                    raise
                response = {"UnprocessedItems": {self._table: pending}}
            pending = response.get("UnprocessedItems", {}).get(self._table, [])
            if not pending:
                return
            self._backoff(attempt)
        raise LedgerUnavailable(f"{len(pending)} ledger writes still unprocessed")

    def finish_piece(self, alert_id: str, piece: str, shard_done: bool,
                     counts: Mapping[str, int]) -> dict[str, Any] | None:
        """Adds a finished piece's counts exactly once; answers the targeting item after it, or None if the piece had
        been counted already (its job was delivered twice)."""
        names = {"#pieces": "done_pieces"}
        values: dict[str, Any] = {":piece": {"SS": [piece]}}
        additions = ["#pieces :piece"]
        if shard_done:
            names["#shards"] = "done_shards"
            values[":shard"] = {"SS": [piece.split(".", 1)[0]]}
            additions.append("#shards :shard")
        for index, (name, count) in enumerate(sorted(counts.items())):
            names[f"#c{index}"] = name
            values[f":c{index}"] = _n(count)
            additions.append(f"#c{index} :c{index}")
        values[":one"] = _s(piece)
        try:
            response = self._call("update_item",
                TableName=self._table, Key={"alert_id": _s(alert_id), "recipient": _s(TARGETING)},
                UpdateExpression="ADD " + ", ".join(additions),
                ConditionExpression="attribute_exists(recipient) AND NOT contains(#pieces, :one)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return _plain(response["Attributes"])

    # --- release ---------------------------------------------------------------------------------------------------

    def segment(self, alert_id: str, channel: str, bucket: str) -> Iterator[LedgerEntry]:
        """Every recipient of one channel in one bucket, whatever their state (release counts them all)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table, KeyConditionExpression="alert_id = :a AND begins_with(recipient, :p)",
            ExpressionAttributeValues={":a": _s(alert_id), ":p": _s(f"{channel}#{bucket}#")}, ConsistentRead=True)
        for page in pages:
            for item in page.get("Items", []):
                yield _entry(item)

    def add_to_targeting(self, alert_id: str, counts: Mapping[str, int]) -> None:
        names = {f"#c{i}": name for i, name in enumerate(sorted(counts))}
        values = {f":c{i}": _n(counts[name]) for i, name in enumerate(sorted(counts))}
        self._call("update_item",
            TableName=self._table, Key={"alert_id": _s(alert_id), "recipient": _s(TARGETING)},
            UpdateExpression="ADD " + ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True)),
            ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def set_releases(self, alert_id: str, total: int) -> None:
        self._call("update_item",
            TableName=self._table, Key={"alert_id": _s(alert_id), "recipient": _s(TARGETING)},
            UpdateExpression="SET releases_total = :n", ExpressionAttributeValues={":n": _n(total)})

    def entries(self, alert_id: str, keys: Sequence[str]) -> dict[str, LedgerEntry]:
        found: dict[str, LedgerEntry] = {}
        for start in range(0, len(keys), 100):
            pending: dict[str, Any] = {self._table: {"Keys": [
                {"alert_id": _s(alert_id), "recipient": _s(k)} for k in keys[start:start + 100]],
                "ConsistentRead": True}}
            for attempt in range(self._attempts):
                response = self._call("batch_get_item", RequestItems=pending)
                for item in response.get("Responses", {}).get(self._table, []):
                    entry = _entry(item)
                    found[entry.key] = entry
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                self._backoff(attempt)
            if pending:
                # A recipient left out here would be skipped by the message and so never sent: fail the message.
                raise LedgerUnavailable(f"{len(pending[self._table]['Keys'])} ledger entries left unread")
        return found

    # --- delivery --------------------------------------------------------------------------------------------------

    def claim(self, alert_id: str, keys: Sequence[str], token: str) -> Claim:
        """Moves queued recipients to claimed by this token, in transactions; those not queued are refused."""
        claimed: list[str] = []
        refused: list[str] = []
        now = self._clock()
        for start in range(0, len(keys), TRANSACTION_ITEMS):
            pending = list(keys[start:start + TRANSACTION_ITEMS])
            for attempt in range(self._attempts * 2):
                if not pending:
                    break
                items = [{"Update": {
                    "TableName": self._table, "Key": {"alert_id": _s(alert_id), "recipient": _s(k)},
                    "UpdateExpression": "SET #status = :claimed, #claim = :token, claimed_at = :now",
                    "ConditionExpression": "#status = :queued",
                    "ExpressionAttributeNames": {"#status": "status", "#claim": "claim"},
                    "ExpressionAttributeValues": {":claimed": _s(CLAIMED), ":token": _s(token), ":now": _n(now),
                                                  ":queued": _s(QUEUED)}}} for k in pending]
                failed = self._transact(items)
                if failed is None:
                    claimed.extend(pending)
                    pending = []
                    break
                lost = [pending[i] for i, code in failed.items() if code == "ConditionalCheckFailed"]
                refused.extend(lost)
                pending = [k for k in pending if k not in set(lost)]
                if not lost:
                    self._backoff(attempt)  # conflicts or throttling only: the same items again, a little later
            if pending:
                raise LedgerUnavailable("claims kept conflicting")
        return Claim(claimed, refused)

    def record(self, alert_id: str, token: str, outcomes: Sequence[tuple[str, str, str | None, str | None]],
               slot: int) -> None:
        """Writes each claimed recipient's outcome (key, status, provider id, error) and adds them to the tally, in
        transactions of at most 100 items, so that counts and states never disagree. An SMS or call the provider
        accepted also gets its pointer (provider message id -> entry) in the same transaction."""
        expires = int(self._clock()) + POINTER_RETENTION_SECONDS
        chunk: list[tuple[str, str, str | None, str | None]] = []
        items: list[dict[str, Any]] = []
        for outcome in outcomes:
            key, status, provider_id, error = outcome
            values: dict[str, Any] = {":status": _s(status), ":token": _s(token)}
            sets = ["#status = :status"]
            if provider_id:
                values[":provider"] = _s(provider_id)
                sets.append("provider_id = :provider")
            if error:
                values[":error"] = _s(error[:200])
                sets.append("#error = :error")
            writes = [{"Update": {
                "TableName": self._table, "Key": {"alert_id": _s(alert_id), "recipient": _s(key)},
                "UpdateExpression": "SET " + ", ".join(sets), "ConditionExpression": "#claim = :token",
                "ExpressionAttributeNames": {"#status": "status", "#claim": "claim",
                                             **({"#error": "error"} if error else {})},
                "ExpressionAttributeValues": values}}]
            channel = key.split("#", 1)[0]
            if provider_id and status == SENT and channel in POINTER_CHANNELS:
                writes.append({"Put": {"TableName": self._table, "Item": {
                    "alert_id": _s(pointer_partition(channel, provider_id)), "recipient": _s(POINTER),
                    "target_alert": _s(alert_id), "target_key": _s(key), "expires_at": _n(expires)}}})
            if len(items) + len(writes) + 1 > TRANSACTION_ITEMS:
                self._record_chunk(alert_id, chunk, items, slot)
                chunk, items = [], []
            chunk.append(outcome)
            items.extend(writes)
        if chunk:
            self._record_chunk(alert_id, chunk, items, slot)

    def _record_chunk(self, alert_id: str, chunk: Sequence[tuple[str, str, str | None, str | None]],
                      items: list[dict[str, Any]], slot: int) -> None:
        counts = Counter(f"{key.split('#', 1)[0]}_{status}" for key, status, _, _ in chunk)
        self._transact_all([*items, self._tally_update(alert_id, counts, slot)])

    def release_claims(self, alert_id: str, keys: Sequence[str], token: str) -> None:
        """Puts recipients back to queued after a retryable failure, so that the retried message claims them."""
        for key in keys:
            try:
                self._call("update_item",
                    TableName=self._table, Key={"alert_id": _s(alert_id), "recipient": _s(key)},
                    UpdateExpression="SET #status = :queued REMOVE #claim, claimed_at",
                    ConditionExpression="#claim = :token AND #status = :claimed",
                    ExpressionAttributeNames={"#status": "status", "#claim": "claim"},
                    ExpressionAttributeValues={":queued": _s(QUEUED), ":token": _s(token), ":claimed": _s(CLAIMED)})
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise

    def mark_stale_unconfirmed(self, alert_id: str, keys: Sequence[str], slot: int) -> list[str]:
        """Claims older than the claim timeout were left by a worker that died mid-call: unconfirmed, never resent."""
        cutoff = self._clock() - self._claim_timeout
        marked = []
        for key in keys:
            try:
                self._transact_all([
                    {"Update": {"TableName": self._table, "Key": {"alert_id": _s(alert_id), "recipient": _s(key)},
                                "UpdateExpression": "SET #status = :unconfirmed",
                                "ConditionExpression": "#status = :claimed AND claimed_at < :cutoff",
                                "ExpressionAttributeNames": {"#status": "status"},
                                "ExpressionAttributeValues": {":unconfirmed": _s(UNCONFIRMED),
                                                              ":claimed": _s(CLAIMED), ":cutoff": _n(cutoff)}}},
                    self._tally_update(alert_id, Counter({f"{key.split('#', 1)[0]}_{UNCONFIRMED}": 1}), slot)])
                marked.append(key)
            except _Cancelled:
                continue
        return marked

    def set_status(self, alert_id: str, keys: Sequence[str], status: str, slot: int, only_if: str = QUEUED) -> int:
        """Moves recipients still in `only_if` to `status` (cancelled, suppressed), counting those moved."""
        moved = 0
        for key in keys:
            try:
                self._transact_all([
                    {"Update": {"TableName": self._table, "Key": {"alert_id": _s(alert_id), "recipient": _s(key)},
                                "UpdateExpression": "SET #status = :to", "ConditionExpression": "#status = :from",
                                "ExpressionAttributeNames": {"#status": "status"},
                                "ExpressionAttributeValues": {":to": _s(status), ":from": _s(only_if)}}},
                    self._tally_update(alert_id, Counter({f"{key.split('#', 1)[0]}_{status}": 1}), slot)])
                moved += 1
            except _Cancelled:
                continue
        return moved

    def add_to_tally(self, alert_id: str, counts: Mapping[str, int], slot: int) -> None:
        update = self._tally_update(alert_id, counts, slot)["Update"]
        update.pop("TableName")
        self._call("update_item", TableName=self._table, **update)

    # --- receipts --------------------------------------------------------------------------------------------------

    def pointer(self, channel: str, provider_id: str) -> tuple[str, str] | None:
        """(alert id, ledger key) of the SMS or call the provider accepted under this message id, if recorded."""
        item = self._call("get_item", TableName=self._table, ConsistentRead=True,
                          Key={"alert_id": _s(pointer_partition(channel, provider_id)),
                               "recipient": _s(POINTER)}).get("Item")
        if not item or "target_alert" not in item or "target_key" not in item:
            return None
        return str(item["target_alert"]["S"]), str(item["target_key"]["S"])

    def settle(self, alert_id: str, key: str, to: str, provider_id: str | None = None, detail: str = "") -> str:
        """Moves an entry on after a receipt (see SETTLE_MOVES), once. Answers the new state when it moved, or why not:
        `unknown` (no such entry), `claimed` (its send is not recorded yet: try again later), `mismatch` (the entry was
        sent under another provider message id), `already-<state>` (a receipt delivered twice, or a later one)."""
        if key.startswith("~") or alert_id.startswith("~"):
            return "unknown"  # a tally, the targeting item or a pointer is never a recipient
        slot = zlib.crc32(key.encode()) % TALLY_SLOTS
        for attempt in range(self._attempts):
            item = self._call("get_item", TableName=self._table, ConsistentRead=True,
                              Key={"alert_id": _s(alert_id), "recipient": _s(key)}).get("Item")
            if not item:
                return "unknown"
            current = _plain(item)
            status = str(current.get("status", ""))
            if status == CLAIMED:
                return CLAIMED
            recorded = current.get("provider_id")
            if provider_id and recorded and recorded != provider_id:
                return "mismatch"
            move = SETTLE_MOVES.get((status, to))
            if move is None:
                return f"already-{status}"
            names = {"#status": "status"}
            values: dict[str, Any] = {":to": _s(to), ":from": _s(status), ":at": _n(int(self._clock()))}
            sets = ["#status = :to", "receipt_at = :at"]
            if detail:
                names["#receipt"] = "receipt"
                values[":detail"] = _s(detail[:200])
                sets.append("#receipt = :detail")
            if provider_id and not recorded:
                values[":provider"] = _s(provider_id)
                sets.append("provider_id = :provider")
            channel = key.split("#", 1)[0]
            try:
                self._transact_all([
                    {"Update": {"TableName": self._table, "Key": {"alert_id": _s(alert_id), "recipient": _s(key)},
                                "UpdateExpression": "SET " + ", ".join(sets),
                                "ConditionExpression": "#status = :from",
                                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}},
                    self._tally_update(alert_id, Counter({f"{channel}_{state}": change
                                                          for state, change in move.items()}), slot)])
                return to
            except _Cancelled:
                self._backoff(attempt)  # another receipt moved it meanwhile: look again
        raise LedgerUnavailable("receipt kept racing")

    def tally(self, alert_id: str) -> dict[str, int]:
        totals: Counter[str] = Counter()
        response = self._call("query",
            TableName=self._table, KeyConditionExpression="alert_id = :a AND begins_with(recipient, :p)",
            ExpressionAttributeValues={":a": _s(alert_id), ":p": _s(TALLY_PREFIX)}, ConsistentRead=True)
        for item in response.get("Items", []):
            for name, value in _plain(item).items():
                if isinstance(value, int) and name not in ("expires_at",):
                    totals[name] += value
        return dict(totals)

    # --- replies and erasure ---------------------------------------------------------------------------------------

    def alerts_for_contact(self, contact: str) -> list[dict[str, Any]]:
        response = self._call("query", TableName=self._table, IndexName="by-contact",
                                      KeyConditionExpression="contact = :c",
                                      ExpressionAttributeValues={":c": _s(contact)})
        return [_plain(item) for item in response.get("Items", [])]

    def erase_contacts(self, contacts: Iterable[str]) -> int:
        """Deletes every ledger entry of these contacts (erasure): found through the by-contact index."""
        deleted = 0
        for contact in contacts:
            paginator = self._client.get_paginator("query")
            for page in paginator.paginate(TableName=self._table, IndexName="by-contact",
                                           KeyConditionExpression="contact = :c",
                                           ExpressionAttributeValues={":c": _s(contact)}):
                keys = [{"DeleteRequest": {"Key": {"alert_id": item["alert_id"], "recipient": item["recipient"]}}}
                        for item in page.get("Items", [])]
                for start in range(0, len(keys), BATCH_WRITE_ITEMS):
                    self._batch_write(keys[start:start + BATCH_WRITE_ITEMS])
                deleted += len(keys)
        return deleted

    # --- helpers ---------------------------------------------------------------------------------------------------

    def _tally_update(self, alert_id: str, counts: Mapping[str, int], slot: int) -> dict[str, Any]:
        names = {f"#c{i}": name for i, name in enumerate(sorted(counts))}
        values = {f":c{i}": _n(counts[name]) for i, name in enumerate(sorted(counts))}
        values[":ttl"] = _n(int(self._clock()) + RETENTION_SECONDS)
        return {"Update": {
            "TableName": self._table,
            "Key": {"alert_id": _s(alert_id), "recipient": _s(f"{TALLY_PREFIX}{slot % TALLY_SLOTS}")},
            "UpdateExpression": "ADD " + ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=False))
                                + " SET expires_at = :ttl",
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}

    def _transact(self, items: list[dict[str, Any]]) -> dict[int, str] | None:
        """None when the transaction went through; else each cancelled item's reason code by position."""
        try:
            self._client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return None
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "TransactionCanceledException":
                reasons = error.response.get("CancellationReasons") or []
                return {i: str(r.get("Code")) for i, r in enumerate(reasons) if r.get("Code") not in (None, "None")}
            if _retryable(error):
                return {i: code for i in range(len(items))}
            raise

    def _transact_all(self, items: list[dict[str, Any]]) -> None:
        for attempt in range(self._attempts * 2):
            failed = self._transact(items)
            if failed is None:
                return
            if "ConditionalCheckFailed" in failed.values():
                raise _Cancelled(failed)
            self._backoff(attempt)
        raise LedgerUnavailable("ledger transaction kept conflicting")

    def _call(self, operation: str, **request: Any) -> Any:
        """One low-level call, retried with backoff while DynamoDB throttles or fails inside."""
        for attempt in range(self._attempts * 2):
            try:
                return getattr(self._client, operation)(**request)
            except ClientError as error:
                if not _retryable(error) or attempt == self._attempts * 2 - 1:
                    raise
                self._backoff(attempt)
        raise LedgerUnavailable(operation)

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(2.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))


class _Cancelled(Exception):
    def __init__(self, reasons: dict[int, str]) -> None:
        super().__init__(reasons)
        self.reasons = reasons


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for name, value in item.items():
        if "S" in value:
            plain[name] = value["S"]
        elif "N" in value:
            number = float(value["N"])
            plain[name] = int(number) if number.is_integer() else number
        elif "SS" in value:
            plain[name] = list(value["SS"])
        elif "BOOL" in value:
            plain[name] = bool(value["BOOL"])
    return plain


def _entry(item: Mapping[str, Any]) -> LedgerEntry:
    plain = _plain(item)
    return LedgerEntry(key=plain["recipient"], resident_id=plain.get("resident_id", ""),
                       channel=plain.get("channel", ""), contact=plain.get("contact", ""),
                       language=plain.get("language", "en"), status=plain.get("status", QUEUED),
                       footage=bool(plain.get("footage", False)))
