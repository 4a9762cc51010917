"""The delivery ledger on the emulator: an alert's recipients are written under LEDGER_BUCKETS partition keys (so no
single key takes an alert's million writes), and erasure leaves tombstones that keep a live alert countable.

Each test deploys a fresh stack and drives adapters/ledger.py directly, as the fan-out does, then reads the table
itself to see where and what was written.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from chalicelib.adapters.ledger import (
    DELIVERED,
    ERASED,
    QUEUED,
    SENT,
    TALLY_PREFIX,
    TALLY_SLOTS,
    TARGETING,
    DeliveryLedger,
    LedgerEntry,
    entry_partitions,
)
from chalicelib.domain.audience import LEDGER_BUCKETS, bucket_of, ledger_key

from .ledger_reads import TOMBSTONE_SHAPE, entry_item_key

ALERT = "01JLEDGERSHARDS0000000000A"  # a ULID, as alert ids are: no `#` in it
TOKEN = "worker-token"
SLOT = 3


@dataclass(frozen=True)
class Table:
    ledger: DeliveryLedger
    client: Any
    name: str

    def items(self) -> list[dict[str, Any]]:
        pages = self.client.get_paginator("scan").paginate(TableName=self.name, ConsistentRead=True)
        return [item for page in pages for item in page.get("Items", [])]

    def raw(self, key: str) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.name, ConsistentRead=True,
                                     Key=entry_item_key(ALERT, key)).get("Item")
        return dict(found) if found else None


@pytest.fixture
def table(emulator, fresh_stack) -> Iterator[Table]:  # type: ignore[no-untyped-def]
    name = f"{fresh_stack()['prefix']}-deliveries"
    client = boto3.client("dynamodb")
    yield Table(DeliveryLedger(client, name, sleep=lambda _: None), client, name)


def entry(resident: str, channel: str = "email") -> LedgerEntry:
    return LedgerEntry(ledger_key(channel, resident), resident, channel, f"hash-{channel}-{resident}", "en")


def test_an_alerts_entries_spread_over_every_bucket_and_read_back_as_before(table: Table) -> None:
    ledger = table.ledger
    emails = [entry(f"R{n:05d}") for n in range(320)]
    texts = [entry(f"R{n:05d}", "sms") for n in range(0, 320, 40)]
    assert ledger.start_plan(ALERT, 1)
    assert ledger.put_entries(ALERT, [*emails, *texts]) == set()
    assert ledger.finish_piece(ALERT, "0.0", True, {"aud_email": len(emails), "aud_sms": len(texts)}) is not None

    items = table.items()
    recipients = [i for i in items if not i["recipient"]["S"].startswith("~")]
    by_partition = Counter(i["alert_id"]["S"] for i in recipients)
    assert set(by_partition) == set(entry_partitions(ALERT)) and len(by_partition) == LEDGER_BUCKETS
    share = len(recipients) / LEDGER_BUCKETS
    assert max(by_partition.values()) <= 2 * share, by_partition  # hashed buckets: even, give or take
    assert all(i["alert_id"]["S"] == f"{ALERT}#{bucket_of(i['resident_id']['S'])}" for i in recipients)
    # The plan and the tally stay under the plain alert id (few writes: one tally update per record transaction).
    assert {i["recipient"]["S"] for i in items if i["alert_id"]["S"] == ALERT} == {TARGETING}
    assert ledger.targeting(ALERT)["aud_email"] == len(emails)

    bucket = bucket_of("R00007")
    assert sorted(e.key for e in ledger.segment(ALERT, "email", bucket)) == \
        sorted(e.key for e in emails if e.key.split("#")[1] == bucket)
    read = ledger.entries(ALERT, [e.key for e in emails[:150]])
    assert read == {e.key: e for e in emails[:150]}

    keys = [e.key for e in texts]
    claim = ledger.claim(ALERT, keys, TOKEN)
    assert claim.claimed == keys and claim.refused == []
    assert ledger.claim(ALERT, keys, "another-worker").refused == keys
    ledger.record(ALERT, TOKEN, [(k, SENT, f"msg-{n}", None) for n, k in enumerate(keys)], SLOT)
    assert {k: e.status for k, e in ledger.entries(ALERT, keys).items()} == dict.fromkeys(keys, SENT)
    assert ledger.pointer("sms", "msg-0") == (ALERT, keys[0])  # the plain alert id, not the entry's partition
    assert ledger.settle(ALERT, keys[0], DELIVERED, "msg-0") == DELIVERED
    assert ledger.settle(ALERT, keys[0], DELIVERED, "msg-0") == f"already-{DELIVERED}"
    assert ledger.tally(ALERT) == {"sms_sent": len(keys), "sms_delivered": 1}
    assert {i["recipient"]["S"] for i in table.items() if i["alert_id"]["S"] == ALERT} == \
        {TARGETING, f"{TALLY_PREFIX}{SLOT}", f"{TALLY_PREFIX}{_slot_of(keys[0])}"}

    assert [a["alert_id"] for a in ledger.alerts_for_contact(emails[0].contact)] == [ALERT]


def _slot_of(key: str) -> int:
    """The tally slot a receipt (settle) counts in."""
    return zlib.crc32(key.encode()) % TALLY_SLOTS


def test_an_erased_queued_entry_becomes_a_tombstone_counted_erased_that_nobody_can_claim(table: Table) -> None:
    ledger = table.ledger
    gone, staying = entry("RGONE"), entry("RSTAYING")
    ledger.put_entries(ALERT, [gone, staying])

    assert ledger.erase_contacts([gone.contact]) == 1
    tombstone = table.raw(gone.key)
    assert tombstone is not None and set(tombstone) == TOMBSTONE_SHAPE, tombstone
    assert tombstone["contact"] == {"S": gone.contact}
    assert ledger.tally(ALERT) == {"email_erased": 1}
    assert ledger.entries(ALERT, [gone.key])[gone.key].status == ERASED  # never read as a sendable `queued`

    claim = ledger.claim(ALERT, [gone.key, staying.key], TOKEN)
    assert claim.claimed == [staying.key] and claim.refused == [gone.key]
    assert ledger.erase_contacts([gone.contact]) == 0  # a tombstone stays as it is, and is not counted twice
    assert ledger.tally(ALERT) == {"email_erased": 1}
    assert ledger.settle(ALERT, gone.key, DELIVERED) == f"already-{ERASED}"
    assert ledger.alerts_for_contact(gone.contact) == []


def test_a_recipient_erased_between_claim_and_record_leaves_the_rest_of_its_batch_sent(table: Table) -> None:
    ledger = table.ledger
    batch = [entry(f"RSMS{n}", "sms") for n in range(10)]
    ledger.put_entries(ALERT, batch)
    keys = [e.key for e in batch]
    assert ledger.claim(ALERT, keys, TOKEN).claimed == keys

    erased = batch[3]
    assert ledger.erase_contacts([erased.contact]) == 1  # while the provider call is under way
    ledger.record(ALERT, TOKEN, [(k, SENT, f"msg-{n}", None) for n, k in enumerate(keys)], SLOT)

    states = {k: e.status for k, e in ledger.entries(ALERT, keys).items()}
    assert states == {**dict.fromkeys(keys, SENT), erased.key: ERASED}
    assert set(table.raw(erased.key) or {}) == TOMBSTONE_SHAPE
    assert ledger.pointer("sms", "msg-3") is None  # its pointer went with it
    assert ledger.pointer("sms", "msg-4") == (ALERT, keys[4])
    assert ledger.tally(ALERT) == {"sms_sent": len(keys) - 1, "sms_erased": 1}

    # The worker finds the resident gone at send time: it records `erased`, which leaves a tombstone too.
    late = entry("RLATE", "sms")
    ledger.put_entries(ALERT, [late])
    ledger.claim(ALERT, [late.key], TOKEN)
    ledger.record(ALERT, TOKEN, [(late.key, ERASED, None, None)], SLOT)
    assert set(table.raw(late.key) or {}) == TOMBSTONE_SHAPE

    # Erasing a finished entry blanks it and leaves its history counted as it was.
    assert ledger.erase_contacts([batch[0].contact]) == 1
    assert set(table.raw(batch[0].key) or {}) == TOMBSTONE_SHAPE
    assert ledger.tally(ALERT) == {"sms_sent": len(keys) - 1, "sms_erased": 2}


def test_writing_entries_again_never_brings_back_an_erased_one_nor_resets_one_that_moved_on(table: Table) -> None:
    ledger = table.ledger
    entries = [entry(f"R{n:04d}") for n in range(150)]  # two transactions' worth
    assert ledger.put_entries(ALERT, entries) == set()
    erased, sent, claimed = entries[10], entries[120], entries[121]
    ledger.claim(ALERT, [sent.key, claimed.key], TOKEN)
    ledger.record(ALERT, TOKEN, [(sent.key, SENT, "msg-sent", None)], SLOT)
    ledger.erase_contacts([erased.contact])
    late = entry("RNEW")

    # A shard job delivered twice writes its recipients again, and one more.
    assert ledger.put_entries(ALERT, [*entries, late]) == {erased.key, sent.key, claimed.key}

    assert set(table.raw(erased.key) or {}) == TOMBSTONE_SHAPE
    again = table.raw(sent.key) or {}
    assert again["status"] == {"S": SENT} and again["provider_id"] == {"S": "msg-sent"}
    assert (table.raw(claimed.key) or {})["claim"] == {"S": TOKEN}
    states = Counter(e.status for e in ledger.entries(ALERT, [e.key for e in [*entries, late]]).values())
    assert states == {QUEUED: 148, SENT: 1, ERASED: 1, "claimed": 1}
    assert ledger.tally(ALERT) == {"email_sent": 1, "email_erased": 1}


def test_a_piece_records_where_it_stopped_until_its_continuation_counts(table: Table) -> None:
    """What a redelivered piece reads to queue the same continuation again (services/pipeline/shard.py)."""
    from chalicelib.domain.progress import Progress

    ledger = table.ledger
    assert ledger.start_plan(ALERT, 1)
    first = ledger.finish_piece(ALERT, "0.0", False, {"audience_email": 3}, end='[2, "8f1!"]')
    assert first is not None and Progress.from_item(first).ends == {"0.0": '[2, "8f1!"]'}
    assert ledger.finish_piece(ALERT, "0.0", False, {"audience_email": 3}, end='[2, "8f1!"]') is None  # once only
    last = ledger.finish_piece(ALERT, "0.1", True, {"audience_email": 2}, previous="0.0")
    assert last is not None
    progress = Progress.from_item(last)
    assert progress.ends == {} and progress.audience == {"email": 5} and progress.targeted
