"""The delivery ledger (table `<prefix>-deliveries`, see DeliveryModel): an alert's frozen audience and what became of
each recipient, written with the low-level client because its hot paths need what PynamoDB hides: conditional
updates batched into transactions, their per-item cancellation reasons, and counters added in the same transaction.

No message is sent twice because a recipient is claimed (queued -> claimed, conditionally) before the provider call,
and only the claimant records the outcome. A worker that dies between the provider's answer and the record leaves
its recipients `claimed`; whoever next meets them after CLAIM_TIMEOUT marks them `unconfirmed`: counted and shown,
never resent, because the provider may well have sent them.

Key layout. An alert's recipients are spread over LEDGER_BUCKETS partition keys, because every recipient is written
three times (put, claim, record) and DynamoDB takes about 1,000 writes a second per partition key
(docs/performance.md, "Ledger: writes per partition key"):
- partition `<alert>#<bucket>`, sort key `<channel>#<bucket>#<resident>`: one recipient on one channel (the bucket
  is the key's middle field, domain/audience.py; `entry_partition` derives it, callers pass the plain alert id);
- partition `<alert>`, sort key `~targeting`: the plan (shards_total), finished shard pieces, audience counts;
- partition `<alert>`, sort keys `~tally#<slot>`: delivery counters (`<channel>_<state>`), spread over TALLY_SLOTS
  items so that many workers can add to them without contending for one item (one update per record transaction);
- partition `~provider#<channel>#<provider message id>`, sort key `~pointer`: one per SMS or voice message the
  provider accepted, naming the (plain) alert and ledger key it was sent for, written in the transaction that records
  it `sent`, because SNS's SMS delivery logs and the voice events name only the provider's message id. Pointers carry
  no contact and expire after POINTER_RETENTION_SECONDS (receipts come within 72 hours).

After the send, receipts move an entry on (`settle`): sent -> delivered (the provider says it arrived; the tally keeps
counting it as sent too), sent -> failed or bounced (it did not arrive), and an `unconfirmed` entry, whose send was
never recorded, becomes what its receipt proves. Each move is one conditional transaction with its tally change, so a
receipt delivered twice counts once.

Erasure leaves tombstones. An erased resident's entry keeps only its keys, its contact hash (so the by-contact index
still finds it and the erasure tooling can count it) and its expiry; it reads as `erased`, and nothing (a duplicate
shard job, a claim, a receipt) can bring it back. An entry erased before it finished (queued or claimed) is counted
`<channel>_erased` in the tally, so an alert whose released recipients are all finished still reaches `sent`; a
worker whose recipient was erased between its claim and its record still records the rest of its batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from ..domain.progress import piece_end_attribute
from .ledger_core import (
    BOUNCED,
    CANCELLED,
    CLAIM_TIMEOUT_SECONDS,
    CLAIMED,
    CONDITION_FAILED,
    DELIVERED,
    ENTRY_DETAILS,
    ERASED,
    FAILED,
    POINTER,
    POINTER_CHANNELS,
    POINTER_PREFIX,
    POINTER_RETENTION_SECONDS,
    PROGRESS_STATES,
    QUEUED,
    RETENTION_SECONDS,
    SENT,
    SUPPRESSED,
    TALLY_PREFIX,
    TALLY_SLOTS,
    TARGETING,
    TOMBSTONE_ATTRIBUTES,
    TRANSACTION_ITEMS,
    UNCONFIRMED,
    UNFINISHED,
    Claim,
    LedgerEntry,
    LedgerUnavailable,
    _Cancelled,
    _entry,
    _n,
    _plain,
    _s,
    alert_of,
    entry_partition,
    entry_partitions,
    pointer_partition,
)
from .ledger_receipts import SETTLE_MOVES, LedgerAfterSend

# Callers import the ledger's names from here, wherever they are defined.
__all__ = [
    "BOUNCED", "CANCELLED", "CLAIMED", "CLAIM_TIMEOUT_SECONDS", "CONDITION_FAILED", "DELIVERED", "ENTRY_DETAILS",
    "ERASED", "FAILED", "POINTER", "POINTER_CHANNELS", "POINTER_PREFIX", "POINTER_RETENTION_SECONDS",
    "PROGRESS_STATES", "QUEUED", "RETENTION_SECONDS", "SENT", "SETTLE_MOVES", "SUPPRESSED", "TALLY_PREFIX",
    "TALLY_SLOTS", "TARGETING", "TOMBSTONE_ATTRIBUTES", "TRANSACTION_ITEMS", "UNCONFIRMED", "UNFINISHED", "Claim",
    "DeliveryLedger", "LedgerEntry", "LedgerUnavailable", "alert_of", "entry_partition", "entry_partitions",
    "pointer_partition",
]


class DeliveryLedger(LedgerAfterSend):
    """The ledger's API: targeting, release and delivery here; receipts and erasure in LedgerAfterSend."""

    # --- targeting -------------------------------------------------------------------------------------------------

    def start_plan(self, alert_id: str, shards_total: int, organisation: str = "") -> bool:
        """Records the plan once; False when it was already recorded (a redelivered plan job). The organisation is
        kept with it, so that a reply, which names only the alert, finds the alert's team."""
        item = {"alert_id": _s(alert_id), "recipient": _s(TARGETING), "shards_total": _n(shards_total),
                "expires_at": _n(int(self._clock()) + RETENTION_SECONDS)}
        if organisation:
            item["organisation"] = _s(organisation)
        try:
            self._call("put_item",
                TableName=self._table,
                Item=item,
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

    def put_entries(self, alert_id: str, entries: Iterable[LedgerEntry]) -> set[str]:
        """Writes recipients that are new or still queued. A duplicate shard or plan job must neither reset an entry
        that has moved on (claimed, sent...) nor bring back one erased since (a tombstone has no status): each Put is
        conditional. Answers the keys not written for that reason.

        Transactions of up to 100 Puts rather than one PutItem each: a shard writes thousands of recipients within
        its Lambda time, and a transaction names each refused item (the rest are written again without it). The
        price is two write units per item instead of one."""
        expires = int(self._clock()) + RETENTION_SECONDS
        by_key = {e.key: e for e in entries}  # a transaction may not touch one item twice
        keys = list(by_key)
        puts = [{"Put": {
            "TableName": self._table, "Item": {
                **self._entry_key(alert_id, e.key), "resident_id": _s(e.resident_id), "channel": _s(e.channel),
                "contact": _s(e.contact), "language": _s(e.language), "status": _s(e.status),
                "footage": {"BOOL": e.footage}, "expires_at": _n(expires)},
            "ConditionExpression": "attribute_not_exists(recipient) OR #status = :queued",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":queued": _s(QUEUED)}}} for e in by_key.values()]
        not_written: set[str] = set()
        for start in range(0, len(puts), TRANSACTION_ITEMS):
            refused = self._write_each(puts[start:start + TRANSACTION_ITEMS])
            not_written.update(keys[start + i] for i in refused)
        return not_written

    def finish_piece(self, alert_id: str, piece: str, shard_done: bool, counts: Mapping[str, int],
                     end: str | None = None, previous: str | None = None) -> dict[str, Any] | None:
        """Adds a finished piece's counts exactly once; answers the targeting item after it, or None if the piece had
        been counted already (its job was delivered twice). With them it records where the piece stopped (`end`),
        and forgets where the piece it continues stopped, that continuation (this piece) having counted."""
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
        expression = "ADD " + ", ".join(additions)
        if end is not None:
            names["#end"], values[":end"] = piece_end_attribute(piece), _s(end)
            expression += " SET #end = :end"
        if previous is not None:
            names["#previous"] = piece_end_attribute(previous)
            expression += " REMOVE #previous"
        try:
            response = self._call("update_item",
                TableName=self._table, Key={"alert_id": _s(alert_id), "recipient": _s(TARGETING)},
                UpdateExpression=expression,
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
        prefix = f"{channel}#{bucket}#"
        pages = paginator.paginate(
            TableName=self._table, KeyConditionExpression="alert_id = :a AND begins_with(recipient, :p)",
            ExpressionAttributeValues={":a": _s(entry_partition(alert_id, prefix)), ":p": _s(prefix)},
            ConsistentRead=True)
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
                self._entry_key(alert_id, k) for k in keys[start:start + 100]],
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
        """Moves queued recipients to claimed by this token, in transactions; those not queued (taken, finished or
        erased) are refused."""
        refused: list[str] = []
        now = self._clock()
        for start in range(0, len(keys), TRANSACTION_ITEMS):
            chunk = list(keys[start:start + TRANSACTION_ITEMS])
            lost = self._write_each([{"Update": {
                "TableName": self._table, "Key": self._entry_key(alert_id, k),
                "UpdateExpression": "SET #status = :claimed, #claim = :token, claimed_at = :now",
                "ConditionExpression": "#status = :queued",
                "ExpressionAttributeNames": {"#status": "status", "#claim": "claim"},
                "ExpressionAttributeValues": {":claimed": _s(CLAIMED), ":token": _s(token), ":now": _n(now),
                                              ":queued": _s(QUEUED)}}} for k in chunk])
            refused.extend(chunk[i] for i in lost)
        refusals = set(refused)
        return Claim([k for k in keys if k not in refusals], refused)

    def record(self, alert_id: str, token: str, outcomes: Sequence[tuple[str, str, str | None, str | None]],
               slot: int) -> None:
        """Writes each claimed recipient's outcome (key, status, provider id, error) and adds them to the tally, in
        transactions of at most 100 items, so that counts and states never disagree. An SMS or call the provider
        accepted also gets its pointer (provider message id -> entry) in the same transaction. Status `erased` (the
        resident was gone at send time) leaves a tombstone.

        A recipient erased since its claim has no claim left: its update fails its condition, which cancels the whole
        transaction. It is left out (the erasure counted it) and the rest written again, so that the recipients sent
        in the same provider call still end `sent`."""
        expires = int(self._clock()) + POINTER_RETENTION_SECONDS
        chunk: list[tuple[str, str, str | None, str | None]] = []
        size = 0
        for outcome in outcomes:
            writes = len(self._record_writes(alert_id, token, outcome, expires))
            if size + writes + 1 > TRANSACTION_ITEMS:
                self._record_chunk(alert_id, token, chunk, slot, expires)
                chunk, size = [], 0
            chunk.append(outcome)
            size += writes
        if chunk:
            self._record_chunk(alert_id, token, chunk, slot, expires)

    def _record_writes(self, alert_id: str, token: str, outcome: tuple[str, str, str | None, str | None],
                       expires: int) -> list[dict[str, Any]]:
        key, status, provider_id, error = outcome
        target = {"TableName": self._table, "Key": self._entry_key(alert_id, key)}
        if status == ERASED:
            return [{"Update": {**target, "UpdateExpression": "REMOVE " + ", ".join(f"#{a}" for a in ENTRY_DETAILS),
                                "ConditionExpression": "#claim = :token",
                                "ExpressionAttributeNames": {f"#{a}": a for a in ENTRY_DETAILS},
                                "ExpressionAttributeValues": {":token": _s(token)}}}]
        values: dict[str, Any] = {":status": _s(status), ":token": _s(token)}
        sets = ["#status = :status"]
        if provider_id:
            values[":provider"] = _s(provider_id)
            sets.append("provider_id = :provider")
        if error:
            values[":error"] = _s(error[:200])
            sets.append("#error = :error")
        writes: list[dict[str, Any]] = [{"Update": {
            **target, "UpdateExpression": "SET " + ", ".join(sets), "ConditionExpression": "#claim = :token",
            "ExpressionAttributeNames": {"#status": "status", "#claim": "claim",
                                         **({"#error": "error"} if error else {})},
            "ExpressionAttributeValues": values}}]
        channel = key.split("#", 1)[0]
        if provider_id and status == SENT and channel in POINTER_CHANNELS:
            writes.append({"Put": {"TableName": self._table, "Item": {
                "alert_id": _s(pointer_partition(channel, provider_id)), "recipient": _s(POINTER),
                "target_alert": _s(alert_id), "target_key": _s(key), "expires_at": _n(expires)}}})
        return writes

    def _record_chunk(self, alert_id: str, token: str, chunk: Sequence[tuple[str, str, str | None, str | None]],
                      slot: int, expires: int) -> None:
        def build(pending: Sequence[int]) -> tuple[list[dict[str, Any]], list[int | None]]:
            items: list[dict[str, Any]] = []
            owners: list[int | None] = []
            for position in pending:
                writes = self._record_writes(alert_id, token, chunk[position], expires)
                items.extend(writes)
                owners.extend([position] * len(writes))
            counts = Counter(f"{chunk[p][0].split('#', 1)[0]}_{chunk[p][1]}" for p in pending)
            return [*items, self._tally_update(alert_id, counts, slot)], [*owners, None]

        self._write_what_may(len(chunk), build)

    def release_claims(self, alert_id: str, keys: Sequence[str], token: str) -> None:
        """Puts recipients back to queued after a retryable failure, so that the retried message claims them."""
        for key in keys:
            try:
                self._call("update_item",
                    TableName=self._table, Key=self._entry_key(alert_id, key),
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
                    {"Update": {"TableName": self._table, "Key": self._entry_key(alert_id, key),
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
                    {"Update": {"TableName": self._table, "Key": self._entry_key(alert_id, key),
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

