"""In-memory fakes behind the pipeline's ports (services/pipeline/ports.py), and a `World` that runs queued jobs
through the real stages the way the SQS workers do, one message at a time.

The fakes keep the semantics the stages rely on, not the storage: a claim is a conditional move from queued, an
outcome is recorded only by its claimant, a piece is counted once, the tally is per channel and state, and an erased
entry is a tombstone that nothing re-creates. Each fake counts its calls, so a bench can show one message's calls.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from bisect import bisect_left, bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import shapely

from chalicelib.adapters.ledger import LedgerEntry
from chalicelib.domain import alerts as alert_rules
from chalicelib.domain.alert_messages import AlertLinks
from chalicelib.domain.alerts import Alert, Source, Status
from chalicelib.domain.audience import places_attributes
from chalicelib.domain.contacts import ContactHasher
from chalicelib.domain.costs import SendLimits
from chalicelib.domain.delivery import Outcome, SendResult
from chalicelib.domain.errors import FieldError, HexwatchError
from chalicelib.domain.frozen_target import from_bytes, to_bytes
from chalicelib.domain.geo import KeyRange, location_key
from chalicelib.domain.jobs import DeliveryJob, PlanJob, PreviewJob
from chalicelib.domain.previews import PreviewState
from chalicelib.domain.progress import CLAIMED, ERASED, QUEUED, piece_end_attribute
from chalicelib.domain.residents import ACTIVE, Consent, ContactRecord, Location, Resident
from chalicelib.domain.tokens import KeyRing, TokenSigner
from chalicelib.services.alerts import AlertSettings
from chalicelib.services.pipeline import Pipeline
from chalicelib.services.pipeline.ports import Channels, Next

NOW = 1_800_000_000.0
HASHER = ContactHasher(b"contact-hash-key-for-tests-only")
SIGNER = TokenSigner(KeyRing({"k1": b"signing-key-for-tests-only"}, "k1"), lambda: NOW)
SETTINGS = AlertSettings(limits=SendLimits(), links=AlertLinks("https://alerts.example", "https://api.example"),
                         organisation_names={"staffs": "Staffordshire Police"})
STAFFORD = (52.8067, -2.1207)


class Calls(Counter[str]):
    """Calls by operation name, as a bench reads them per message."""


class FakeAlerts:
    def __init__(self, calls: Calls) -> None:
        self._alerts: dict[tuple[str, str], tuple[Alert, int]] = {}
        self.actions: list[tuple[str, str, str | None]] = []
        self._calls = calls

    def add(self, alert: Alert) -> None:
        self._alerts[(alert.source.organisation, alert.id)] = (copy.deepcopy(alert), 0)

    def get(self, organisation: str, alert_id: str) -> tuple[Alert, Any] | None:
        self._calls["dynamodb.GetItem"] += 1
        found = self._alerts.get((organisation, alert_id))
        return (copy.deepcopy(found[0]), found[1]) if found else None

    def save(self, alert: Alert, item: Any, at: str) -> None:
        self._calls["dynamodb.PutItem"] += 1
        _, version = self._alerts[(alert.source.organisation, alert.id)]
        if version != item:
            raise HexwatchError("changed", [FieldError("/status", "changed by someone else")], 409, "Conflict")
        self._alerts[(alert.source.organisation, alert.id)] = (copy.deepcopy(alert), version + 1)

    def record_action(self, alert: Alert, action: str, actor: str, actor_role: str, at: str,
                      audience: int | None = None, detail: str | None = None) -> None:
        self.actions.append((alert.id, action, detail))

    def status(self, organisation: str, alert_id: str) -> Status:
        return self._alerts[(organisation, alert_id)][0].status

    def due(self, until: str, limit: int) -> list[tuple[str, str]]:
        """As the sparse by-due index: scheduled alerts due at or before `until`, soonest first."""
        self._calls["dynamodb.Query"] += 1
        scheduled = sorted((alert_rules.utc_text(alert.send_at), key) for key, (alert, _) in self._alerts.items()
                           if alert.status is Status.SCHEDULED and alert.send_at is not None)
        return [key for due_at, key in scheduled if due_at <= until][:limit]


@dataclass
class FakeClaim:
    claimed: list[str]
    refused: list[str]


class FakeLedger:
    claim_timeout = 900.0

    def __init__(self, calls: Calls, clock: Any = lambda: NOW) -> None:
        self.progress: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, dict[str, Any]]] = {}
        self.tallies: dict[str, Counter[str]] = {}
        self.die_before_counting = 0  # the next pieces' invocations die just before their counting update
        self._calls = calls
        self._clock = clock

    def start_plan(self, alert_id: str, shards_total: int, organisation: str = "") -> bool:
        self._calls["dynamodb.PutItem"] += 1
        if alert_id in self.progress:
            return False
        self.progress[alert_id] = {"shards_total": shards_total}
        return True

    def targeting(self, alert_id: str) -> dict[str, Any]:
        self._calls["dynamodb.GetItem"] += 1
        return copy.deepcopy(self.progress.get(alert_id, {}))

    def put_entries(self, alert_id: str, entries: Iterable[LedgerEntry]) -> set[str]:
        refused = set()
        stored = self.items.setdefault(alert_id, {})
        entries = list(entries)
        self._calls["dynamodb.TransactWriteItems"] += (len(entries) + 99) // 100  # 100 conditional puts a call
        for entry in entries:
            existing = stored.get(entry.key)
            if existing is not None and existing.get("status") != QUEUED:
                refused.add(entry.key)  # a tombstone, or an entry past queued: never re-created or reset
                continue
            stored[entry.key] = {"resident_id": entry.resident_id, "channel": entry.channel,
                                 "contact": entry.contact, "language": entry.language, "status": entry.status,
                                 "footage": entry.footage}
        return refused

    def finish_piece(self, alert_id: str, piece: str, shard_done: bool, counts: Mapping[str, int],
                     end: str | None = None, previous: str | None = None) -> dict[str, Any] | None:
        if self.die_before_counting:
            self.die_before_counting -= 1
            raise WorkerDied(piece)
        self._calls["dynamodb.UpdateItem"] += 1
        item = self.progress[alert_id]
        if piece in item.get("done_pieces", []):
            return None
        item.setdefault("done_pieces", []).append(piece)
        if shard_done:
            item.setdefault("done_shards", []).append(piece.split(".", 1)[0])
        for name, count in counts.items():
            item[name] = item.get(name, 0) + count
        if end is not None:
            item[piece_end_attribute(piece)] = end
        if previous is not None:
            item.pop(piece_end_attribute(previous), None)
        return copy.deepcopy(item)

    def add_to_targeting(self, alert_id: str, counts: Mapping[str, int]) -> None:
        for name, count in counts.items():
            self.progress[alert_id][name] = self.progress[alert_id].get(name, 0) + count

    def set_releases(self, alert_id: str, total: int) -> None:
        self.progress[alert_id]["releases_total"] = total

    def segment(self, alert_id: str, channel: str, bucket: str) -> Iterator[LedgerEntry]:
        self._calls["dynamodb.Query"] += 1
        for key, item in sorted(self.items.get(alert_id, {}).items()):
            if key.startswith(f"{channel}#{bucket}#"):
                yield self._entry(key, item)

    @staticmethod
    def _entry(key: str, item: dict[str, Any]) -> LedgerEntry:
        if "status" not in item:
            return LedgerEntry(key, "", key.split("#", 1)[0], item["contact"], "en", ERASED)
        return LedgerEntry(key, item["resident_id"], item["channel"], item["contact"], item["language"],
                           item["status"], item["footage"])

    def entries(self, alert_id: str, keys: Sequence[str]) -> dict[str, LedgerEntry]:
        self._calls["dynamodb.BatchGetItem"] += (len(keys) + 99) // 100
        stored = self.items.get(alert_id, {})
        return {key: self._entry(key, stored[key]) for key in keys if key in stored}

    def claim(self, alert_id: str, keys: Sequence[str], token: str) -> FakeClaim:
        self._calls["dynamodb.TransactWriteItems"] += (len(keys) + 99) // 100
        claimed, refused = [], []
        for key in keys:
            item = self.items[alert_id].get(key)
            if item is not None and item.get("status") == QUEUED:
                item.update(status=CLAIMED, claim=token, claimed_at=self._clock())
                claimed.append(key)
            else:
                refused.append(key)
        return FakeClaim(claimed, refused)

    def record(self, alert_id: str, token: str, outcomes: Sequence[tuple[str, str, str | None, str | None]],
               slot: int) -> None:
        self._calls["dynamodb.TransactWriteItems"] += (len(outcomes) + 98) // 99  # with the tally
        for key, status, provider_id, error in outcomes:
            item = self.items[alert_id].get(key)
            if item is None or item.get("claim") != token:
                continue  # tombstoned meanwhile: counted as erased by the erasure
            if status == ERASED:
                self.items[alert_id][key] = {"contact": item["contact"]}
            else:
                item.update(status=status, provider_id=provider_id, error=error)
            self.tallies.setdefault(alert_id, Counter())[f"{key.split('#', 1)[0]}_{status}"] += 1

    def release_claims(self, alert_id: str, keys: Sequence[str], token: str) -> None:
        for key in keys:
            item = self.items[alert_id].get(key)
            if item is not None and item.get("claim") == token and item.get("status") == CLAIMED:
                item.update(status=QUEUED, claim=None)

    def mark_stale_unconfirmed(self, alert_id: str, keys: Sequence[str], slot: int) -> list[str]:
        marked = []
        for key in keys:
            item = self.items[alert_id][key]
            if item.get("status") == CLAIMED and item["claimed_at"] < self._clock() - self.claim_timeout:
                item["status"] = "unconfirmed"
                self.tallies.setdefault(alert_id, Counter())[f"{key.split('#', 1)[0]}_unconfirmed"] += 1
                marked.append(key)
        return marked

    def set_status(self, alert_id: str, keys: Sequence[str], status: str, slot: int, only_if: str = QUEUED) -> int:
        moved = 0
        for key in keys:
            item = self.items[alert_id][key]
            if item.get("status") == only_if:
                item["status"] = status
                self.tallies.setdefault(alert_id, Counter())[f"{key.split('#', 1)[0]}_{status}"] += 1
                moved += 1
        return moved

    def tally(self, alert_id: str) -> dict[str, int]:
        self._calls["dynamodb.Query"] += 1
        return dict(self.tallies.get(alert_id, Counter()))

    def erase(self, alert_id: str, key: str) -> None:
        """What erasure does to one entry: a tombstone; counted erased if it had no outcome yet."""
        item = self.items[alert_id][key]
        if item.get("status") in (QUEUED, CLAIMED):
            self.tallies.setdefault(alert_id, Counter())[f"{key.split('#', 1)[0]}_erased"] += 1
        self.items[alert_id][key] = {"contact": item["contact"]}

    def states(self, alert_id: str) -> Counter[str]:
        return Counter(item.get("status", ERASED) for item in self.items.get(alert_id, {}).values())


class FakePlans:
    def __init__(self, calls: Calls) -> None:
        self.frozen: dict[str, bytes] = {}
        self._calls = calls

    def freeze(self, alert_id: str, target: Any, expires_at: int | None = None) -> None:
        self._calls["dynamodb.PutItem"] += 1
        self.frozen[alert_id] = to_bytes(target)

    def target(self, alert_id: str) -> Any:
        self._calls["dynamodb.Query"] += 1  # a warm worker caches it; counted anyway, as a cold one reads it
        return from_bytes(self.frozen[alert_id]) if alert_id in self.frozen else None


class WorkerDied(Exception):
    """The invocation ended here (a timeout, a crash): SQS will deliver its message again."""


class FakePreviews:
    """The previews table's items, with the counting updates of adapters/preview_tally.py done in memory."""

    def __init__(self, calls: Calls) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.die_before_counting = 0  # the next pieces' invocations die just before their counting update
        self._calls = calls

    def create(self, preview_id: str, body: dict[str, Any]) -> None:
        self.items[preview_id] = {"organisation": "staffs", "requested_by": "officer-sub", "request": json.dumps(body),
                                  "status": "counting", "expires_at": int(NOW) + 24 * 3600,
                                  "created_at": datetime.fromtimestamp(NOW, UTC).isoformat().replace("+00:00", "Z")}

    def get(self, preview_id: str) -> PreviewState | None:
        self._calls["dynamodb.GetItem"] += 1
        item = self.items.get(preview_id)
        return PreviewState.from_item(item) if item else None

    def start(self, preview_id: str, pieces: int) -> bool:
        self._calls["dynamodb.UpdateItem"] += 1
        item = self.items[preview_id]
        if "pieces_open" in item:
            return False
        item.update(pieces_open=pieces, ends={})
        return True

    def finish_piece(self, preview_id: str, piece: str, previous: str | None, counts: Mapping[str, int],
                     end: str | None) -> PreviewState | None:
        if self.die_before_counting:
            self.die_before_counting -= 1
            raise WorkerDied(piece)
        self._calls["dynamodb.UpdateItem"] += 1
        item = self.items[preview_id]
        if "pieces_open" not in item or piece in item.get("done_pieces", set()):
            return None
        item["pieces_open"] += (1 if end is not None else 0) - 1
        item.setdefault("done_pieces", set()).add(piece)
        for name, count in counts.items():
            item[name] = item.get(name, 0) + count
        if end is not None:
            item["ends"][piece] = end
        if previous is not None:
            item["ends"].pop(previous, None)
        return PreviewState.from_item(item)

    def finish(self, preview_id: str, result: Mapping[str, Any]) -> None:
        self._calls["dynamodb.UpdateItem"] += 1
        self.items[preview_id].update(status="done", result=json.dumps(result))

    def result(self, preview_id: str) -> dict[str, Any] | None:
        text = self.items[preview_id].get("result")
        return json.loads(text) if text else None


class FakeLocations:
    def __init__(self, calls: Calls) -> None:
        self._by_partition: dict[str, list[SimpleNamespace]] = {}
        self._unsorted: set[str] = set()  # partitions to sort before the next read (sorting on each add is slow)
        self._keys: dict[str, list[str]] = {}  # each partition's sort keys, in order
        self.items_read = 0
        self._calls = calls
        self._lock = threading.Lock()

    def add(self, resident: Resident) -> None:
        attributes = resident.targeting_attributes()
        coordinates = [(location.lat, location.lng) for location in resident.locations]
        for index, location in enumerate(resident.locations):
            sk = f"{location.point_cell}#{resident.id}#{location.id}"
            # As the residents store writes them (adapters/residents_store.py), `places` included.
            item = {"resident_id": resident.id, "lat": location.lat, "lng": location.lng,
                    "channels": set(attributes["channels"]), "categories": set(attributes["categories"]),
                    "groups": set(attributes["groups"]), "business_sectors": set(attributes["business_sectors"]),
                    "language": attributes["language"], **places_attributes(coordinates, index)}
            self._by_partition.setdefault(location.partition, []).append(
                SimpleNamespace(sk=sk, lat=location.lat, lng=location.lng, attribute_values=item))
            self._unsorted.add(location.partition)

    def in_range(self, key_range: KeyRange) -> Iterator[SimpleNamespace]:
        # Under a lock: a piece reads ranges ahead from a pool's threads (services/pipeline/shard.py: ranges_ahead).
        with self._lock:
            self._calls["dynamodb.Query"] += 1  # one page: a shard piece reads far under 1 MB from one range
            items = self._by_partition.get(key_range.partition, [])
            if key_range.partition in self._unsorted:
                items.sort(key=lambda found: found.sk)
                self._keys[key_range.partition] = [found.sk for found in items]
                self._unsorted.discard(key_range.partition)
            keys = self._keys.get(key_range.partition, [])
            # As DynamoDB's BETWEEN: found by bisection, so a read costs what the matches cost, not the partition.
            found = items[bisect_left(keys, key_range.low):bisect_right(keys, key_range.high)]
        for item in found:
            with self._lock:
                self.items_read += 1
            yield item


class FakeResidents:
    def __init__(self, calls: Calls) -> None:
        self.residents: dict[str, Resident] = {}
        self._calls = calls

    def get_many(self, resident_ids: Iterable[str]) -> dict[str, Resident]:
        wanted = list(resident_ids)
        self._calls["dynamodb.BatchGetItem"] += (len(wanted) + 99) // 100
        return {i: self.residents[i] for i in wanted if i in self.residents}


class FakeSuppressions:
    def __init__(self, calls: Calls) -> None:
        self.reasons_by_hash: dict[str, str] = {}
        self._calls = calls

    def reasons(self, contact_hashes: Iterable[str]) -> dict[str, str]:
        wanted = list(contact_hashes)
        self._calls["dynamodb.BatchGetItem"] += (len(wanted) + 99) // 100
        return {h: self.reasons_by_hash[h] for h in wanted if h in self.reasons_by_hash}


class FakeProvider:
    """Every channel's provider: accepts, unless told to answer the next calls otherwise."""

    def __init__(self, calls: Calls) -> None:
        self.received: Counter[str] = Counter()  # ledger key -> times the provider took it
        self.calls = 0
        self.recipients = 0  # in every call, accepted or not
        self.calls_before_first: int | None = None  # of all AWS calls, how many came before the first provider call
        self.message_start = 0  # AWS calls made before the message being handled began
        self.during_call: Callable[[], None] | None = None  # runs inside the next provider calls (erasure mid-call)
        self.before_in_message: int | None = None  # calls of that message before its first provider call
        self._all = calls
        self.refusals: deque[Outcome] = deque()
        self.refusal_code = "SendingPausedException"

    def _answer(self, keys: list[str]) -> list[SendResult]:
        if self.calls_before_first is None:
            self.calls_before_first = sum(self._all.values())
        if self.before_in_message is None:
            self.before_in_message = sum(self._all.values()) - self.message_start
        self.calls += 1
        self.recipients += len(keys)
        if self.during_call is not None:
            self.during_call()
        self._all["provider"] += 1
        if self.refusals:
            outcome = self.refusals.popleft()
            return [SendResult(k, outcome, error=self.refusal_code) for k in keys]
        self.received.update(k.split("|", 1)[0] for k in keys)
        return [SendResult(k, Outcome.ACCEPTED, provider_id=f"id-{self.calls}-{n}") for n, k in enumerate(keys)]

    def send(self, *args: Any) -> list[SendResult]:
        batch = args[-1]
        return self._answer([item.key for item in batch])


class FakeQueues:
    """Both the targeting queue and the delivery queues: jobs in order, with their delays kept for the tests."""

    def __init__(self, calls: Calls) -> None:
        self.pending: deque[tuple[dict[str, Any], int, str]] = deque()
        self.hops: dict[int, int] = {}  # id of a pending message -> queue hops from the send to it
        self.parents: dict[int, int] = {}  # id of a pending message -> number of the message that queued it
        self.current_hops = 0  # of the message being handled
        self.current_number = -1
        self._calls = calls

    def queue(self, name: str) -> Any:
        queues = self

        class Queue:
            def put(self, job: dict[str, Any], delay_seconds: int = 0) -> None:
                queues._calls["sqs.SendMessage"] += 1
                queues.add(job, delay_seconds, name)

            def put_many(self, jobs: list[dict[str, Any]]) -> None:
                queues._calls["sqs.SendMessageBatch"] += (len(jobs) + 9) // 10
                for job in jobs:
                    queues.add(job, 0, name)

        return Queue()

    def add(self, job: dict[str, Any], delay_seconds: int, name: str) -> None:
        self.pending.append((job, delay_seconds, name))
        self.hops[id(job)] = self.current_hops + 1
        self.parents[id(job)] = self.current_number


@dataclass
class MessageCost:
    """One handled message, as a bench reads it: where it came from, and what it cost."""

    number: int
    parent: int  # the message that queued it; -1 for the send's plan
    hops: int  # queue hops from the send to this message
    queue: str
    kind: str
    calls: int  # AWS-equivalent requests, provider calls included
    cpu_ms: float
    provider_recipients: int
    delay_seconds: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    calls_before_provider: int | None = None  # in this message, before its first provider call (None: it made none)


@dataclass
class World:
    """A pipeline on fakes, with the means to run its queues to the end."""

    calls: Calls = field(default_factory=Calls)
    sleeps: list[float] = field(default_factory=list)
    costs: list[MessageCost] = field(default_factory=list)
    delays: list[tuple[str, int]] = field(default_factory=list)
    max_locations_per_piece: int = 4000
    preview_locations_per_piece: int = 20_000
    first_provider_hops: int | None = None  # queue hops from the send to the message that made the first call
    now: float = NOW  # the pipeline's clock, which a test may move

    def __post_init__(self) -> None:
        self.alerts = FakeAlerts(self.calls)
        self.ledger = FakeLedger(self.calls)
        self.locations = FakeLocations(self.calls)
        self.residents = FakeResidents(self.calls)
        self.suppressions = FakeSuppressions(self.calls)
        self.provider = FakeProvider(self.calls)
        self.queues = FakeQueues(self.calls)
        self.plans = FakePlans(self.calls)
        self.previews = FakePreviews(self.calls)
        channels = Channels(email=self.provider, sms=self.provider, voice=self.provider, push=self.provider)
        self.pipeline = Pipeline(
            store=self.alerts, resolver=SimpleNamespace(geometry=lambda _org, target: alert_rules.target_geometry(
                target)), index=self.locations, ledger=self.ledger, residents=self.residents,
            suppressions=self.suppressions, signer=SIGNER, targeting_jobs=self.queues.queue("targeting"),
            delivery_queues={c: self.queues.queue(c) for c in ("email", "sms", "voice", "push")},
            channels=channels, settings=SETTINGS, reply_domain="alerts.example", clock=lambda: self.now,
            sleep=self.sleeps.append, max_locations_per_piece=self.max_locations_per_piece, plans=self.plans,
            previews=self.previews, preview_locations_per_piece=self.preview_locations_per_piece)

    def resident(self, lat: float, lng: float, channels: Sequence[str] = ("email",), number: int = 0,
                 elsewhere: Sequence[tuple[float, float]] = ()) -> Resident:
        """A resident living at (lat, lng), with more locations `elsewhere` (where they work, say)."""
        resident_id = f"01R{number:023d}"
        email = HASHER.email(f"r{number}@example.org")
        mobile = HASHER.mobile(f"07400 {number % 1_000_000:06d}")
        contacts = [ContactRecord("email", email.address, email.hash, "2026-01-01T00:00:00Z"),
                    ContactRecord("mobile", mobile.address, mobile.hash, "2026-01-01T00:00:00Z")]
        resident = Resident(id=resident_id, status=ACTIVE, language="en", channels=list(channels),
                            categories=["crime"], business_sectors=[], groups=[],
                            locations=[Location(f"L{number}.{n}", "home" if n == 0 else f"place {n}", at[0], at[1],
                                                "point", location_key(*at).partition, location_key(*at).point_cell)
                                       for n, at in enumerate([(lat, lng), *elsewhere])],
                            contacts=contacts, consent=Consent("2026-11", "2026-01-01T00:00:00Z"),
                            created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")
        self.residents.residents[resident_id] = resident
        self.locations.add(resident)
        return resident

    def alert(self, radius_m: float = 1000, channels: Sequence[str] = ("email",), alert_id: str = "01ALERT" + "0" * 19,
              status: Status = Status.SENDING, **overrides: Any) -> Alert:
        body = {"title": "Burglaries in Stafford", "body": "Please lock doors and windows tonight.",
                "category": "crime", "priority": "high", "incident_ref": "SP-2026-1234",
                "contact": {"phone": "101"}, "channels": list(channels),
                "target": {"type": "circle", "center": {"lat": STAFFORD[0], "lng": STAFFORD[1]},
                           "radius_m": radius_m}, **overrides}
        alert = alert_rules.new_alert(alert_id, body, Source("officer", "staffs", "officer-sub"),
                                      datetime.fromtimestamp(self.now, UTC))
        alert.status = status
        # The whole county, frozen as the sender's reach: the second line of defence lets everyone in the bench.
        alert.frozen_scope = _county_scope()
        self.alerts.add(alert)
        return alert

    def preview(self, radius_m: float = 1000, channels: Sequence[str] = ("email",),
                preview_id: str = "01PREVIEW" + "0" * 17,
                **overrides: Any) -> str:
        """An officer's preview too big for its request, handed to the targeting queue as the API would."""
        body = {"title": "Burglaries in Stafford", "body": "Please lock doors and windows tonight.",
                "category": "crime", "priority": "high", "incident_ref": "SP-2026-1234",
                "contact": {"phone": "101"}, "channels": list(channels),
                "target": {"type": "circle", "center": {"lat": STAFFORD[0], "lng": STAFFORD[1]},
                           "radius_m": radius_m}, **overrides}
        self.previews.create(preview_id, body)
        self.queues.pending.append((PreviewJob(preview_id).message(), 0, "targeting"))
        return preview_id

    def send(self, alert: Alert) -> None:
        self.queues.pending.append((PlanJob(alert.source.organisation, alert.id).message(), 0, "targeting"))

    def run(self, max_messages: int | None = None, slot: int = 0) -> list[str]:
        """Handles queued messages in order, as the workers would, until none is left or `max_messages` ran (delays
        are not waited)."""
        outcomes: list[str] = []
        for _ in range(max_messages or 1_000_000):
            if not self.queues.pending:
                return outcomes
            message, delay, queue = self.queues.pending.popleft()
            self.queues.current_hops = self.queues.hops.pop(id(message), 1)
            parent = self.queues.parents.pop(id(message), -1)
            self.queues.current_number = len(self.costs)
            calls_before = self.provider.calls
            operations_before, recipients_before = Counter(self.calls), self.provider.recipients
            self.provider.message_start, self.provider.before_in_message = sum(self.calls.values()), None
            if delay:
                self.delays.append((queue, delay))
            before, cpu = sum(self.calls.values()), time.process_time()
            if queue == "targeting":
                outcomes.append(self.pipeline.target(message))
            else:
                outcomes.append(self.pipeline.deliver(message, slot))
            if self.provider.calls and not calls_before and self.first_provider_hops is None:
                self.first_provider_hops = self.queues.current_hops
            self.costs.append(MessageCost(
                len(self.costs), parent, self.queues.current_hops, queue, str(message.get("type", "deliver")),
                sum(self.calls.values()) - before, (time.process_time() - cpu) * 1000,
                self.provider.recipients - recipients_before, delay, Counter(self.calls) - operations_before,
                self.provider.before_in_message))
        if max_messages is None:
            raise AssertionError("the queues never emptied")
        return outcomes

    def run_targeting(self) -> None:
        """Handles targeting messages while one is next: plan, shards, releases, up to the first delivery message."""
        while self.queues.pending and self.queues.pending[0][2] == "targeting":
            self.run(max_messages=1)

    def deliveries(self) -> list[DeliveryJob]:
        from chalicelib.domain.jobs import delivery_job

        return [delivery_job(m) for m, _, q in self.queues.pending if q != "targeting"]

    def next_is(self, queued: Next) -> bool:
        return bool(self.queues.pending) and self.queues.pending[0][0] == queued.job.message()


def _county_scope() -> str:
    """The frozen scope's text (domain/scope.py: WKB, base64) of a box around the county."""
    return base64.b64encode(shapely.to_wkb(shapely.box(-3.0, 52.3, -1.5, 53.3))).decode("ascii")
