"""The delivery ledger after the send (adapters/ledger.py describes the ledger and its key layout): receipts move
entries on, and erasure leaves tombstones."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ..domain.audience import ledger_key
from .ledger_core import (
    BOUNCED,
    CLAIMED,
    CONDITION_FAILED,
    DELIVERED,
    ERASED,
    FAILED,
    POINTER,
    QUEUED,
    SENT,
    TALLY_SLOTS,
    TOMBSTONE_ATTRIBUTES,
    UNCONFIRMED,
    UNFINISHED,
    LedgerCore,
    LedgerUnavailable,
    _Cancelled,
    _is_tombstone,
    _n,
    _plain,
    _s,
    _status_of,
    alert_of,
    pointer_partition,
)

# An entry in one of these states reached (or may have reached) the resident: a reply to it is believable.
REACHED = frozenset({SENT, DELIVERED, UNCONFIRMED})
# Sent, or on its way: a later copy of the same appeal is left out for these (queued and claimed will go out).
WILL_REACH = REACHED | {QUEUED, CLAIMED}

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


class LedgerAfterSend(LedgerCore):
    """Receipts (pointer, settle) and what erasure and replies find by contact; DeliveryLedger adds the rest."""

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
        if key.startswith("~") or alert_id.startswith("~") or len(key.split("#", 2)) != 3:
            return "unknown"  # a tally, the targeting item or a pointer is never a recipient
        slot = zlib.crc32(key.encode()) % TALLY_SLOTS
        for attempt in range(self._attempts):
            item = self._call("get_item", TableName=self._table, ConsistentRead=True,
                              Key=self._entry_key(alert_id, key)).get("Item")
            if not item:
                return "unknown"
            current = _plain(item)
            status = _status_of(current)  # a tombstone answers `already-erased`
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
                    {"Update": {"TableName": self._table, "Key": self._entry_key(alert_id, key),
                                "UpdateExpression": "SET " + ", ".join(sets),
                                "ConditionExpression": "#status = :from",
                                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}},
                    self._tally_update(alert_id, Counter({f"{channel}_{state}": change
                                                          for state, change in move.items()}), slot)])
                return to
            except _Cancelled:
                self._backoff(attempt)  # another receipt moved it meanwhile: look again
        raise LedgerUnavailable("receipt kept racing")

    # --- replies and erasure ---------------------------------------------------------------------------------------

    def alerts_for_contact(self, contact: str) -> list[dict[str, Any]]:
        """The contact's entries (first page), each with its plain alert id; tombstones hold nobody and are left out."""
        response = self._call("query", TableName=self._table, IndexName="by-contact",
                                      KeyConditionExpression="contact = :c",
                                      ExpressionAttributeValues={":c": _s(contact)})
        return [{**_plain(item), "alert_id": alert_of(item["alert_id"]["S"])}
                for item in response.get("Items", []) if not _is_tombstone(item)]

    def delivered_entry(self, alert_id: str, channel: str, resident_id: str) -> dict[str, Any] | None:
        """The resident's entry for this alert on this channel, if the alert went to them (sent, delivered or
        unconfirmed: not one that failed, bounced or was never sent)."""
        item = self._call("get_item", TableName=self._table, ConsistentRead=True,
                          Key=self._entry_key(alert_id, ledger_key(channel, resident_id))).get("Item")
        if not item or _is_tombstone(item):
            return None
        entry = _plain(item)
        return entry if entry.get("status") in REACHED else None

    def reaches_contact(self, contact: str, alert_id: str) -> bool:
        """Whether this alert went, or is going, to this contact on any channel: one Query of the by-contact index
        (de-duplication across senders asks it about each recipient of a later alert)."""
        response = self._call("query", TableName=self._table, IndexName="by-contact",
                              KeyConditionExpression="contact = :c AND begins_with(alert_id, :a)",
                              ExpressionAttributeValues={":c": _s(contact), ":a": _s(f"{alert_id}#")})
        return any(not _is_tombstone(item) and _status_of(_plain(item)) in WILL_REACH
                   for item in response.get("Items", []))

    def reached_by_contact(self, contact: str, alert_id: str, channel: str) -> str | None:
        """The resident this alert reached at this contact on this channel, found through the by-contact index (its
        sort key is the entry's partition, `<alert>#<bucket>`); None if it did not reach them."""
        response = self._call("query", TableName=self._table, IndexName="by-contact",
                              KeyConditionExpression="contact = :c AND begins_with(alert_id, :a)",
                              ExpressionAttributeValues={":c": _s(contact), ":a": _s(f"{alert_id}#")})
        for item in response.get("Items", []):
            if _is_tombstone(item) or not item.get("recipient", {}).get("S", "").startswith(f"{channel}#"):
                continue
            if _status_of(_plain(item)) in REACHED and "resident_id" in item:
                return str(item["resident_id"]["S"])
        return None

    def latest_reached(self, contact: str, channel: str, pages: int = 5) -> tuple[str, str] | None:
        """(alert id, resident id) of the newest alert that reached this contact on this channel. The by-contact index
        sorts by alert id, a ULID, so newest first is a backwards read; a few pages are read at most (older alerts'
        entries expire anyway)."""
        start: dict[str, Any] | None = None
        for _ in range(pages):
            request: dict[str, Any] = {
                "TableName": self._table, "IndexName": "by-contact", "KeyConditionExpression": "contact = :c",
                "ExpressionAttributeValues": {":c": _s(contact)}, "ScanIndexForward": False, "Limit": 50}
            if start:
                request["ExclusiveStartKey"] = start
            response = self._call("query", **request)
            for item in response.get("Items", []):
                if _is_tombstone(item) or not item.get("recipient", {}).get("S", "").startswith(f"{channel}#"):
                    continue
                if _status_of(_plain(item)) in REACHED and "resident_id" in item:
                    return alert_of(item["alert_id"]["S"]), item["resident_id"]["S"]
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        return None

    def erase_contacts(self, contacts: Iterable[str]) -> int:
        """Replaces every ledger entry of these contacts (found through the by-contact index) with its tombstone, and
        answers how many. Deleting them instead would leave a live alert short of finished recipients, and cancel
        the record of a whole provider call whose claim a deletion took away."""
        erased = 0
        for contact in contacts:
            paginator = self._client.get_paginator("query")
            for page in paginator.paginate(TableName=self._table, IndexName="by-contact",
                                           KeyConditionExpression="contact = :c",
                                           ExpressionAttributeValues={":c": _s(contact)}):
                erased += sum(self._tombstone(item) for item in page.get("Items", []) if not _is_tombstone(item))
        return erased

    def _tombstone(self, seen: Mapping[str, Any]) -> bool:
        """Replaces one entry with its tombstone, conditioned on the status last seen (the index lags, and workers
        move entries on meanwhile: on a race the item is read again). An unfinished entry is counted `erased` in the
        same transaction. False when it had become a tombstone or gone meanwhile."""
        partition, key = seen["alert_id"]["S"], seen["recipient"]["S"]
        item: Mapping[str, Any] | None = seen
        for attempt in range(self._attempts * 2):
            if item is None or _is_tombstone(item):
                return False
            status = _status_of(_plain(item))
            tombstone = {"Put": {
                "TableName": self._table, "Item": {a: item[a] for a in TOMBSTONE_ATTRIBUTES if a in item},
                "ConditionExpression": "#status = :seen", "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":seen": _s(status)}}}
            writes = [tombstone]
            if status in UNFINISHED:
                slot = zlib.crc32(key.encode()) % TALLY_SLOTS
                writes.append(self._tally_update(alert_of(partition), {f"{key.split('#', 1)[0]}_{ERASED}": 1}, slot))
            failed = self._transact(writes)
            if failed is None:
                return True
            if CONDITION_FAILED in failed.values():
                item = self._call("get_item", TableName=self._table, ConsistentRead=True,
                                  Key={"alert_id": _s(partition), "recipient": _s(key)}).get("Item")
            else:
                self._backoff(attempt)
        raise LedgerUnavailable("erasure kept racing")

