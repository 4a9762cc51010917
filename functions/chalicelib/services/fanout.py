"""From a sent alert to every recipient once: plan → shards → ledger → release → per-channel delivery.

1. **Plan** (one job per send): cover the target with H3 cells, merge into key ranges, split the ranges into shards
   and queue one job per shard, so that a whole force is read by parallel invocations.
2. **Shard**: query its ranges, test each location exactly, filter by preference, look up each recipient's contact
   hash (and whether it is suppressed) and write the frozen audience to the delivery ledger. A shard that runs short
   of Lambda time queues the rest of its ranges as a continuation (the next "piece") and stops.
3. **Decide** (exactly once, by whichever piece completes the last shard): a costly send that no supervisor has
   covered is held for approval; otherwise the ledger is released.
4. **Release**: read a segment of the ledger and queue its queued recipients, many per message, on the channel's
   delivery queue.
5. **Deliver**: claim the message's recipients in the ledger, call the provider, record each outcome (see
   adapters/ledger.py for why nothing is sent twice, and what "unconfirmed" means).

Jobs carry ids and ledger keys, never addresses: addresses are read from the subscribers table at delivery.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from ..adapters.alerts_store import AlertStore
from ..adapters.ledger import (
    CANCELLED,
    CLAIMED,
    FAILED,
    QUEUED,
    SENT,
    SUPPRESSED,
    DeliveryLedger,
    LedgerEntry,
)
from ..adapters.residents_store import LocationIndex, ResidentStore, SuppressionList
from ..domain import alerts as alert_rules
from ..domain.alert_messages import (
    email_content,
    email_recipient_fields,
    push_text,
    sms_text,
    voice_text,
)
from ..domain.alerts import Alert, Status, utc_text
from ..domain.audience import LEDGER_BUCKETS, Audience, Filters
from ..domain.contacts import ContactKind
from ..domain.costs import call_minutes, estimate, is_costly
from ..domain.coverage import cover
from ..domain.delivery import (
    EmailContent,
    EmailRecipient,
    Outcome,
    PushMessage,
    SendResult,
    SmsMessage,
    VoiceCall,
)
from ..domain.errors import HexwatchError
from ..domain.geo import KeyRange
from ..domain.residents import ACTIVE, Resident
from ..domain.scope import FrozenScope
from ..domain.sms import describe
from ..domain.tokens import TokenSigner
from .alerts import AlertSettings, JobQueue
from .residents import UNSUBSCRIBE
from .targets import TargetResolver, footage_centre

logger = Logger(child=True)

SHARD_RANGES = 48  # key ranges per shard: a 20 km circle is a handful of shards, a small one is one
RECIPIENTS_PER_MESSAGE = 100  # per delivery message: two SES bulk calls, or a worker's SMS batch
RELEASE_RECIPIENTS_PER_JOB = 5000  # a release job reads this many ledger entries, give or take
TIME_RESERVE_MS = 20_000  # a shard stops and queues a continuation when its invocation has less left
PROVIDER_CALL_SIZE = {"email": 50, "sms": 10, "voice": 10, "push": 10}  # recipients recorded per provider call
MAX_RETRY_DELAY = 300  # seconds before a partly sent message's remaining recipients are tried again
UNDELIVERABLE = ("bounced", "complained", "opted_out", "erased")


class JobBatchQueue(JobQueue, Protocol):
    def put_many(self, jobs: list[dict[str, Any]]) -> None: ...


class EmailChannel(Protocol):
    def send(self, content: EmailContent, recipients: Sequence[EmailRecipient]) -> list[SendResult]: ...


class SmsChannel(Protocol):
    def send(self, messages: Sequence[SmsMessage]) -> list[SendResult]: ...


class VoiceChannel(Protocol):
    def send(self, calls: Sequence[VoiceCall]) -> list[SendResult]: ...


class PushChannel(Protocol):
    def send(self, messages: Sequence[PushMessage]) -> list[SendResult]: ...


@dataclass(frozen=True)
class Channels:
    email: EmailChannel
    sms: SmsChannel
    voice: VoiceChannel
    push: PushChannel


class RetryLater(Exception):
    """Some recipients met a retryable provider error: their claims are released and the SQS message comes back."""


def _remaining_forever() -> int:
    return 10**9


class Fanout:
    def __init__(self, *, store: AlertStore, resolver: TargetResolver, index: LocationIndex, ledger: DeliveryLedger,
                 residents: ResidentStore, suppressions: SuppressionList, signer: TokenSigner,
                 targeting_jobs: JobBatchQueue, delivery_queues: dict[str, JobBatchQueue], channels: Channels,
                 settings: AlertSettings, reply_domain: str | None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 retry_pauses: tuple[float, ...] = (0.2, 0.8, 2.0)) -> None:
        self._store = store
        self._resolver = resolver
        self._index = index
        self._ledger = ledger
        self._residents = residents
        self._suppressions = suppressions
        self._signer = signer
        self._targeting_jobs = targeting_jobs
        self._delivery_queues = delivery_queues
        self._channels = channels
        self._settings = settings
        self._reply_domain = reply_domain
        self._clock = clock
        self._sleep = sleep
        self._retry_pauses = retry_pauses

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _alert(self, job: dict[str, Any]) -> tuple[Alert, Any] | None:
        return self._store.get(str(job["organisation"]), str(job["alert_id"]))

    def _audit(self, alert: Alert, action: str, audience: int | None = None, detail: str | None = None) -> None:
        self._store.record_action(alert, action, "system", "system", utc_text(self._now()), audience, detail)

    def _move(self, alert: Alert, item: Any, to: Status) -> bool:
        """Moves the alert if nobody moved it first (a cancel wins over the pipeline)."""
        now = self._now()
        try:
            alert.move(to, "system", now)
            self._store.save(alert, item, utc_text(now))
            return True
        except HexwatchError as error:  # 409: someone changed it first; the pipeline re-reads at its next step
            logger.info("alert not moved", extra={"alert_id": alert.id, "to": to.value, "reason": str(error)})
            return False

    # --- 1. plan ---------------------------------------------------------------------------------------------------

    def plan(self, job: dict[str, Any]) -> str:
        found = self._alert(job)
        if found is None:
            return "skipped: no such alert"
        alert, item = found
        now = self._now()
        if alert.status is Status.SCHEDULED and alert.send_at is not None:
            wait = (alert.send_at - now).total_seconds()
            if wait > 1:
                # SQS delays up to 15 minutes; a later send hops through delayed messages, rereading (and so
                # honouring a cancel) at each hop.
                self._targeting_jobs.put(job, delay_seconds=int(min(wait, 900)))
                return "scheduled: waiting"
            if not self._move(alert, item, Status.SENDING):
                return "skipped: alert changed"
            self._audit(alert, "send", detail="scheduled time reached")
        if alert.status is not Status.SENDING:
            return f"skipped: alert is {alert.status.value}"
        counts = self._ledger.targeting(alert.id)
        if counts and _targeted(counts):
            return self._decide(alert, item, counts)  # targeted before it was held for approval
        target = self._resolver.geometry(alert.source.organisation, alert.target)
        ranges = cover(target).ranges
        shards = [ranges[start:start + SHARD_RANGES] for start in range(0, len(ranges), SHARD_RANGES)]
        self._ledger.start_plan(alert.id, len(shards))
        if not shards:
            return self._decide(alert, item, self._ledger.targeting(alert.id))
        self._targeting_jobs.put_many([
            {"type": "shard", "organisation": alert.source.organisation, "alert_id": alert.id, "shard": number,
             "piece": 0, "ranges": [[r.partition, r.low, r.high] for r in shard]}
            for number, shard in enumerate(shards)])
        return f"planned {len(shards)} shards, {len(ranges)} ranges"

    # --- 2. shard --------------------------------------------------------------------------------------------------

    def shard(self, job: dict[str, Any], remaining_ms: Callable[[], int] = _remaining_forever) -> str:
        piece = f"{job['shard']}.{job['piece']}"
        alert_id = str(job["alert_id"])
        done = self._ledger.targeting(alert_id)
        if piece in set(done.get("done_pieces", ())):
            if _targeted(done) and "releases_total" not in done and (found := self._alert(job)) is not None:
                return self._decide(*found, done)  # the last piece counted, then failed before deciding
            return "skipped: piece done already"
        found = self._alert(job)
        if found is None:
            return "skipped: no such alert"
        alert = found[0]
        if alert.status is Status.CANCELLED:
            return "skipped: cancelled"
        # The officers' reach was checked at create, send and approve; the worker reads the geometry alone and, as a
        # second line of defence, sends to nobody outside the reach frozen into the alert then (none frozen: nobody).
        target = self._resolver.geometry(alert.source.organisation, alert.target)
        scope = FrozenScope(alert.frozen_scope)
        filters = Filters.of({"category": alert.category, "channels": alert.channels, "groups": alert.groups,
                              "business_sectors": alert.business_sectors,
                              "footage_request": alert.footage_request}, footage_centre(target))
        audience = Audience()
        ranges = [KeyRange(*r) for r in job["ranges"]]
        rest: list[KeyRange] = []
        for position, key_range in enumerate(ranges):
            last_key = None
            for count, location in enumerate(self._index.in_range(key_range)):
                last_key = location.sk
                lat, lng = float(location.lat), float(location.lng)
                if target.contains(lat, lng) and scope.contains(lat, lng):
                    audience.add_location(filters, location.attribute_values)
                if count % 500 == 499 and remaining_ms() < TIME_RESERVE_MS:
                    # "!" sorts before every character a sort key continues with, so this resumes just after it.
                    rest = [KeyRange(key_range.partition, last_key + "!", key_range.high), *ranges[position + 1:]]
                    break
            if rest:
                break
        entries = self._ledger_entries(audience)
        if rest:
            self._targeting_jobs.put({**job, "piece": int(job["piece"]) + 1,
                                      "ranges": [[r.partition, r.low, r.high] for r in rest]})
        self._ledger.put_entries(alert_id, entries)
        counts: dict[str, int] = defaultdict(int)
        for entry in entries:
            counts[("aud_" if entry.status == QUEUED else "sup_") + entry.channel] += 1
        state = self._ledger.finish_piece(alert_id, piece, not rest, counts)
        if state is None:
            return "skipped: piece counted already"
        if not rest and _targeted(state):
            found = self._alert(job)
            if found is not None:
                return self._decide(*found, state)
        return f"piece {piece}: {len(entries)} recipients" + (", continues" if rest else "")

    def _ledger_entries(self, audience: Audience) -> list[LedgerEntry]:
        recipients = list(audience.recipients.values())
        residents = self._residents.get_many(r.resident_id for r in recipients)
        contacts: dict[str, str] = {}
        for recipient in recipients:
            resident = residents.get(recipient.resident_id)
            contact = contact_for(resident, recipient.channel) if resident else None
            if contact:
                contacts[recipient.key] = contact
        suppressed = self._suppressions.reasons(c for c in contacts.values() if not c.startswith("push:"))
        return [LedgerEntry(r.key, r.resident_id, r.channel, contacts[r.key], r.language,
                            SUPPRESSED if suppressed.get(contacts[r.key]) in UNDELIVERABLE else QUEUED, r.footage)
                for r in recipients if r.key in contacts]

    # --- 3. decide -------------------------------------------------------------------------------------------------

    def _decide(self, alert: Alert, item: Any, counts: dict[str, Any]) -> str:
        if alert.status is not Status.SENDING:
            return f"skipped: alert is {alert.status.value}"
        by_channel = {k.removeprefix("aud_"): int(v) for k, v in counts.items() if k.startswith("aud_") and v}
        language = next(iter(alert.content))
        name = self._settings.sender_name(alert.source.organisation)
        segments = describe(sms_text(alert, language, name, self._settings.links,
                                     self._settings.sms_max_segments)).segments
        minutes = call_minutes(voice_text(alert, language, name), self._settings.limits)
        costly = is_costly(estimate(by_channel, segments, minutes, self._settings.limits), self._settings.limits)
        audience = sum(by_channel.values())
        if costly:
            self._ledger.add_to_targeting(alert.id, {"costly": 1})
        if alert_rules.needs_supervisor(alert, costly):
            if self._move(alert, item, Status.PENDING_APPROVAL):
                self._audit(alert, "hold", audience, "over the SMS and voice limits: a supervisor must approve")
            return "held for a supervisor"
        jobs = []
        for channel, count in sorted(by_channel.items()):
            parts = max(1, min(LEDGER_BUCKETS, math.ceil(count / RELEASE_RECIPIENTS_PER_JOB)))
            buckets = [f"{b:02x}" for b in range(LEDGER_BUCKETS)]
            for part in range(parts):
                jobs.append({"type": "release", "organisation": alert.source.organisation, "alert_id": alert.id,
                             "channel": channel, "buckets": buckets[part::parts]})
        self._ledger.set_releases(alert.id, len(jobs))
        if not jobs:
            if self._move(alert, item, Status.SENT):
                self._audit(alert, "sent", 0, "nobody in the area chose this alert")
            return "sent: empty audience"
        self._targeting_jobs.put_many(jobs)
        self._audit(alert, "release", audience)
        return f"released to {audience} recipients in {len(jobs)} jobs"

    # --- 4. release ------------------------------------------------------------------------------------------------

    def release(self, job: dict[str, Any]) -> str:
        alert_id, channel = str(job["alert_id"]), str(job["channel"])
        piece = f"r:{channel}:{','.join(job['buckets'])}"
        released = 0
        batch: list[str] = []
        messages: list[dict[str, Any]] = []
        for bucket in job["buckets"]:
            for entry in self._ledger.segment(alert_id, channel, bucket):
                if entry.status == SUPPRESSED:
                    continue
                released += 1
                if entry.status == QUEUED:
                    batch.append(entry.key)
                if len(batch) == RECIPIENTS_PER_MESSAGE:
                    messages.append(self._delivery_message(job, batch))
                    batch = []
        if batch:
            messages.append(self._delivery_message(job, batch))
        self._delivery_queues[channel].put_many(messages)
        self._ledger.finish_piece(alert_id, piece, False, {f"rel_{channel}": released, "releases_done": 1})
        return f"released {released} {channel} recipients in {len(messages)} messages"

    @staticmethod
    def _delivery_message(job: dict[str, Any], keys: list[str]) -> dict[str, Any]:
        return {"organisation": job["organisation"], "alert_id": job["alert_id"], "channel": job["channel"],
                "keys": list(keys)}

    # --- 5. deliver ------------------------------------------------------------------------------------------------

    def deliver(self, job: dict[str, Any], slot: int, remaining_ms: Callable[[], int] = _remaining_forever) -> str:
        """Sends one delivery message's recipients, claiming each provider call's worth just before the call."""
        alert_id, channel = str(job["alert_id"]), str(job["channel"])
        keys = [str(k) for k in job["keys"]]
        found = self._alert(job)
        entries = self._ledger.entries(alert_id, keys)
        expired = found is not None and found[0].expires_at is not None and self._now() > found[0].expires_at
        if found is None or found[0].status is Status.CANCELLED or expired:
            # Cancelled, or past its expiry time (old news must not arrive late): what is not yet sent stops here.
            queued = [k for k, e in entries.items() if e.status == QUEUED]
            stopped = self._ledger.set_status(alert_id, queued, CANCELLED, slot)
            self._check_finished(job)
            return f"stopped {stopped}: alert {'expired' if expired else 'cancelled'}"
        alert = found[0]
        claimed_before = [k for k, e in entries.items() if e.status == CLAIMED]
        unconfirmed = self._ledger.mark_stale_unconfirmed(alert_id, claimed_before, slot) if claimed_before else []
        # Claims too recent to call stale: another invocation may still be sending them, or one died moments ago
        # (SQS gives a message back after its visibility timeout, sooner than the claim timeout).
        settled = set(unconfirmed)
        held = [k for k in claimed_before if k not in settled]
        token = uuid.uuid4().hex
        groups: dict[tuple[str, bool], list[LedgerEntry]] = defaultdict(list)
        for key in keys:
            entry = entries.get(key)
            if entry is not None and entry.status == QUEUED:
                groups[(entry.language, entry.footage)].append(entry)
        size = PROVIDER_CALL_SIZE[channel]
        done = taken = 0
        retry: list[str] = []
        recorded_keys: set[str] = set()
        for (language, footage), members in sorted(groups.items()):
            for start in range(0, len(members), size):
                if retry:
                    break  # the provider pushed back: leave the rest queued for the retried message
                claim = self._ledger.claim(alert_id, [e.key for e in members[start:start + size]], token)
                taken += len(claim.refused)
                claimed = [entries[k] for k in claim.claimed]
                try:
                    sendable = self._sendable(alert_id, channel, token, claimed, slot)
                except Exception:
                    # Nothing has gone to these yet (the profiles or suppressions could not be read): hand the
                    # claims back, so the retried message sends them instead of counting them as unconfirmed.
                    self._ledger.release_claims(alert_id, list(claim.claimed), token)
                    raise
                if not sendable:
                    continue
                pending = sendable
                for pause in (*self._retry_pauses, None):
                    results = self._send(alert, channel, language, footage, pending)
                    # QUOTA (sending paused, quota or spend limit reached) is retried like RETRYABLE for now; parking
                    # the alert until the account may send again belongs to the pipeline rebuild.
                    recorded = [(r.key, SENT if r.outcome is Outcome.ACCEPTED else FAILED, r.provider_id, r.error)
                                for r in results if not r.outcome.retried]
                    if recorded:
                        self._ledger.record(alert_id, token, recorded, slot)
                    done += len(recorded)
                    recorded_keys.update(r[0] for r in recorded)
                    again = {r.key for r in results if r.outcome.retried}
                    pending = [(e, r) for e, r in pending if e.key in again]
                    if not pending:
                        break
                    if pause is None or remaining_ms() < (pause + 2) * 1000:
                        retry.extend(e.key for e, _ in pending)
                        break
                    # A throttle or a 5xx is usually over in a moment: try the same claimed recipients again here,
                    # as the SDK's own retries would, before handing them back to the queue.
                    self._sleep(pause * random.uniform(0.5, 1.0))
        if retry:
            self._ledger.release_claims(alert_id, retry, token)
            if not done:
                # No progress at all: fail the message (a partial batch failure), so that SQS gives it back after
                # its visibility timeout, and a provider that keeps refusing ends in the dead-letter queue.
                raise RetryLater(f"{len(retry)} {channel} recipients to retry")
            # Some went out: the rest go back on the queue as a new message, after a growing delay, so that a
            # provider that throttles now and then does not use up the message's receive count with partial progress.
            attempt = int(job.get("attempt", 0)) + 1
            to_retry = set(retry) | set(held)
            remaining = [key for key in keys if key in to_retry or (
                key in entries and key not in recorded_keys and entries[key].status == QUEUED)]
            self._delivery_queues[channel].put(
                {**job, "keys": remaining, "attempt": attempt}, delay_seconds=min(MAX_RETRY_DELAY, 2 ** attempt))
            return f"{channel}: {done} sent or failed, {len(remaining)} to retry"
        if held:
            # Look at them again once a claim that old would be stale, so that each one ends sent, failed or
            # unconfirmed, and none stays claimed with no message left to settle it.
            self._delivery_queues[channel].put({**job, "keys": held, "attempt": 0},
                                               delay_seconds=math.ceil(self._ledger.claim_timeout) + 1)
        self._check_finished(job)
        return (f"{channel}: {done} sent or failed, {taken} taken by others, {len(unconfirmed)} unconfirmed, "
                f"{len(held)} held by another invocation")

    def _sendable(self, alert_id: str, channel: str, token: str, claimed: list[LedgerEntry],
                  slot: int) -> list[tuple[LedgerEntry, Resident]]:
        """The claimed recipients that can still be sent to; the others are recorded as suppressed or failed."""
        if not claimed:
            return []
        residents = self._residents.get_many(e.resident_id for e in claimed)
        suppressed = self._suppressions.reasons(e.contact for e in claimed if not e.contact.startswith("push:"))
        outcomes: list[tuple[str, str, str | None, str | None]] = []
        sendable = []
        for entry in claimed:
            resident = residents.get(entry.resident_id)
            if suppressed.get(entry.contact) in UNDELIVERABLE:
                outcomes.append((entry.key, SUPPRESSED, None, suppressed[entry.contact]))
            elif resident is None or resident.status != ACTIVE or contact_for(resident, channel) != entry.contact:
                outcomes.append((entry.key, FAILED, None, "contact-gone"))  # erased, left, or changed contact
            else:
                sendable.append((entry, resident))
        if outcomes:
            self._ledger.record(alert_id, token, outcomes, slot)
        return sendable

    def _send(self, alert: Alert, channel: str, language: str, footage: bool,
              chunk: list[tuple[LedgerEntry, Resident]]) -> list[SendResult]:
        """One provider call's worth (one bulk email call, or a few SMS, calls or pushes)."""
        name = self._settings.sender_name(alert.source.organisation)
        links = self._settings.links
        if channel == "email":
            reply_to = f"replies+{alert.id.lower()}@{self._reply_domain}" if self._reply_domain else None
            content = email_content(alert, language, name, links, footage=footage, reply_to=reply_to)
            recipients = []
            for entry, resident in chunk:
                token = self._signer.sign(UNSUBSCRIBE, {"sub": resident.id, "ch": entry.contact}, None)
                data, headers = email_recipient_fields(links, token)
                recipients.append(EmailRecipient(entry.key, address_for(resident, entry.contact), data, headers))
            return self._channels.email.send(content, recipients)
        if channel == "sms":
            text = sms_text(alert, language, name, links, self._settings.sms_max_segments, footage=footage)
            return self._channels.sms.send([SmsMessage(e.key, address_for(r, e.contact), text) for e, r in chunk])
        if channel == "voice":
            text = voice_text(alert, language, name, footage=footage)
            return self._channels.voice.send([VoiceCall(e.key, address_for(r, e.contact), text, language)
                                              for e, r in chunk])
        return self._push(alert, language, name, chunk)

    def _push(self, alert: Alert, language: str, name: str,
              chunk: list[tuple[LedgerEntry, Resident]]) -> list[SendResult]:
        """One notification per registered device; a resident counts as sent when any of their devices took it."""
        title, body = push_text(alert, language, name)
        data = {"alert_id": alert.id, "url": self._settings.links.full_alert(alert.source.organisation, alert.id)}
        messages = [PushMessage(f"{entry.key}|{device.id}", str(device.endpoint_arn), title, body, data)
                    for entry, resident in chunk for device in resident.devices if device.endpoint_arn]
        by_resident: dict[str, list[SendResult]] = defaultdict(list)
        for result in self._channels.push.send(messages) if messages else []:
            by_resident[result.key.split("|", 1)[0]].append(result)
        combined = []
        for entry, _ in chunk:
            results = by_resident.get(entry.key, [])
            accepted = next((r for r in results if r.outcome is Outcome.ACCEPTED), None)
            if accepted:
                combined.append(SendResult(entry.key, Outcome.ACCEPTED, accepted.provider_id))
            elif retried := next((r for r in results if r.outcome.retried), None):
                combined.append(SendResult(entry.key, retried.outcome, error="retry"))
            else:
                combined.append(SendResult(entry.key, Outcome.PERMANENT,
                                           error=results[0].error if results else "no-device"))
        return combined

    def _check_finished(self, job: dict[str, Any]) -> None:
        """The alert becomes sent once every release job ran and every released recipient has an outcome."""
        counts = self._ledger.targeting(str(job["alert_id"]))
        if int(counts.get("releases_done", 0)) < int(counts.get("releases_total", -1)):
            return
        tally = self._ledger.tally(str(job["alert_id"]))
        for name, released in counts.items():
            if name.startswith("rel_"):
                channel = name.removeprefix("rel_")
                finished = sum(tally.get(f"{channel}_{state}", 0)
                               for state in (SENT, FAILED, "unconfirmed", SUPPRESSED, CANCELLED))
                if finished < int(released):
                    return
        found = self._alert(job)
        if found is not None and found[0].status is Status.SENDING and self._move(*found, Status.SENT):
            self._audit(found[0], "sent", sum(int(v) for k, v in counts.items() if k.startswith("rel_")))


def _targeted(counts: dict[str, Any]) -> bool:
    """Every shard has finished writing its recipients to the ledger."""
    return "shards_total" in counts and len(counts.get("done_shards", ())) >= int(counts["shards_total"])


def contact_for(resident: Resident, channel: str) -> str | None:
    """The contact (hash) a channel reaches this resident at, or None if it cannot."""
    if channel not in resident.reachable_channels():
        return None
    if channel == "push":
        return f"push:{resident.id}"
    kinds = {"email": (ContactKind.EMAIL,), "sms": (ContactKind.MOBILE,),
             "voice": (ContactKind.LANDLINE, ContactKind.MOBILE)}[channel]
    record = next((found for kind in kinds if (found := resident.verified(kind))), None)
    return record.hash if record else None


def address_for(resident: Resident, contact_hash: str) -> str:
    record = resident.contact(contact_hash)
    return record.address if record else ""
