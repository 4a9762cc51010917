"""What the delivery ledger's parts share (adapters/ledger.py describes the ledger): its states and key layout, how
items are read, and the transaction plumbing: retries on throttling, per-item cancellation reasons, and writing what
conditions allow when some items of a transaction are refused. Its underscored helpers are private to the ledger's
modules (ledger.py, ledger_receipts.py)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..domain.audience import LEDGER_BUCKETS
from ..domain.progress import (
    BOUNCED,
    CANCELLED,
    CLAIMED,
    DELIVERED,
    ERASED,
    FAILED,
    QUEUED,
    SENT,
    SUPPRESSED,
    UNCONFIRMED,
)
from .provider_errors import Provider, classify

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

TARGETING = "~targeting"
TALLY_PREFIX = "~tally#"
TALLY_SLOTS = 8
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
RETENTION_SECONDS = 90 * 24 * 3600
CLAIM_TIMEOUT_SECONDS = 15 * 60  # longer than any worker's run: a claim this old was left by a worker that died

# A recipient's states are the domain's (domain/progress.py), which also says which of them end a delivery.
PROGRESS_STATES = (QUEUED, SENT, DELIVERED, FAILED, BOUNCED, UNCONFIRMED, SUPPRESSED, CANCELLED, ERASED)
# Erasing an entry in one of these adds `<channel>_erased` to the tally; any other is counted there already. A
# `suppressed` entry counts too: one suppressed at targeting was never tallied, and once erased its tombstone is
# counted released like any other, so without this the alert could never reach `sent` (one suppressed at delivery is
# then counted twice, as suppressed and erased, which only ever errs towards finishing).
UNFINISHED = frozenset({QUEUED, CLAIMED, SUPPRESSED})
# What a tombstone keeps; everything else an entry may hold (resident, language, status, claim, provider id, error,
# receipt) goes.
TOMBSTONE_ATTRIBUTES = ("alert_id", "recipient", "contact", "expires_at")
ENTRY_DETAILS = ("resident_id", "channel", "language", "status", "footage", "claim", "claimed_at", "provider_id",
                 "error", "receipt", "receipt_at")
CONDITION_FAILED = "ConditionalCheckFailed"

POINTER_PREFIX = "~provider#"
POINTER = "~pointer"
POINTER_CHANNELS = frozenset({"sms", "voice"})  # email finds its entry through its SES tags instead
POINTER_RETENTION_SECONDS = 7 * 24 * 3600


def pointer_partition(channel: str, provider_id: str) -> str:
    return f"{POINTER_PREFIX}{channel}#{provider_id}"


def entry_partition(alert_id: str, key: str) -> str:
    """The partition key of a recipient entry: its alert and the bucket in its key (`<channel>#<bucket>#<resident>`),
    so that an alert's writes spread over LEDGER_BUCKETS partition keys."""
    parts = key.split("#", 2)
    return f"{alert_id}#{parts[1] if len(parts) == 3 else ''}"


def entry_partitions(alert_id: str) -> list[str]:
    """Every partition key that holds an alert's recipients (buckets as domain/audience.py's bucket_of writes them),
    for readers that list them all: tests and operator tools."""
    return [f"{alert_id}#{bucket:02x}" for bucket in range(LEDGER_BUCKETS)]


def alert_of(partition: str) -> str:
    """The alert id of an entry's partition key (alert ids are ULIDs: no `#` in them)."""
    return partition.split("#", 1)[0]


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

class LedgerCore:
    """The client, the table and the plumbing every part of DeliveryLedger uses."""

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

    def _entry_key(self, alert_id: str, key: str) -> dict[str, Any]:
        return {"alert_id": _s(entry_partition(alert_id, key)), "recipient": _s(key)}

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

    def _write_each(self, items: list[dict[str, Any]]) -> list[int]:
        """Independent conditional items in one transaction: answers the positions whose condition failed."""
        return self._write_what_may(len(items), lambda pending: ([items[i] for i in pending], list(pending)))

    def _write_what_may(self, count: int,
                        build: Callable[[Sequence[int]], tuple[list[dict[str, Any]], list[int | None]]]) -> list[int]:
        """Writes `count` parts in one transaction, leaving out those whose condition fails. `build` makes the
        transaction's items for the parts still pending and names the part each item belongs to (None: shared, such
        as a tally update). Answers the parts left out; all the others are written."""
        pending = list(range(count))
        refused: list[int] = []
        for attempt in range(self._attempts * 2):
            if not pending:
                return refused
            items, owners = build(pending)
            failed = self._transact(items)
            if failed is None:
                return refused
            lost = {owner for i, code in failed.items() if code == CONDITION_FAILED
                    for owner in (owners[i],) if owner is not None}
            if lost:
                refused.extend(sorted(lost))
                pending = [p for p in pending if p not in lost]
            else:
                self._backoff(attempt)  # conflicts or throttling only: the same items again, a little later
        if pending:
            raise LedgerUnavailable("ledger transaction kept conflicting")
        return refused

    def _transact_all(self, items: list[dict[str, Any]]) -> None:
        for attempt in range(self._attempts * 2):
            failed = self._transact(items)
            if failed is None:
                return
            if CONDITION_FAILED in failed.values():
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


def _is_tombstone(item: Mapping[str, Any]) -> bool:
    return "status" not in item and "resident_id" not in item


def _status_of(plain: Mapping[str, Any]) -> str:
    """An entry's state; a tombstone (no status, no resident) is `erased`, never mistaken for a sendable `queued`."""
    return ERASED if _is_tombstone(plain) else str(plain.get("status", QUEUED))


def _entry(item: Mapping[str, Any]) -> LedgerEntry:
    plain = _plain(item)
    key = str(plain["recipient"])
    return LedgerEntry(key=key, resident_id=plain.get("resident_id", ""),
                       channel=plain.get("channel") or key.split("#", 1)[0], contact=plain.get("contact", ""),
                       language=plain.get("language", "en"), status=_status_of(plain),
                       footage=bool(plain.get("footage", False)))
