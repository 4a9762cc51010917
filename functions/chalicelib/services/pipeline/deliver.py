"""Deliver: claim a message's recipients in the ledger, one provider call's worth just before each call, call the
provider, record each outcome (adapters/ledger.py says why nothing is sent twice, and what "unconfirmed" means).

What the provider pushes back on is never lost and never burns the message's receive count for nothing:
- throttling or a 5xx: tried again here after a short pause, then handed back (the message fails when nothing at
  all went out, so SQS retries it; otherwise the rest goes back as a new message after a growing delay);
- quota or a sending pause (the account may not send for minutes or hours): parked. The rest goes back as a new
  message after PARK_DELAY_SECONDS with jitter, and the alert shows `paused` with the provider's reason until a later
  try goes through. A parked message never counts towards the dead-letter queue.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ...domain.alerts import Alert, Status
from ...domain.delivery import Outcome, SendResult
from ...domain.jobs import DeliveryJob
from ...domain.progress import CANCELLED, CLAIMED, ERASED, FAILED, QUEUED, SENT, SUPPRESSED
from ...domain.residents import ACTIVE, Resident
from .lifecycle import AlertLifecycle
from .ports import Entry, JobSink, Ledger, Next, Residents, Suppressions, remaining_forever
from .render import Renderer, contact_for, undeliverable

# Recipients claimed, sent and recorded together. A worker that dies between a provider's answer and the record leaves
# at most this many `unconfirmed`: one bulk email call, but one SMS or call, because SNS and SMS Voice take one message
# per request (claiming ten would leave up to nine never sent, yet unconfirmed, after a death mid-batch).
PROVIDER_CALL_SIZE = {"email": 50, "sms": 1, "voice": 1, "push": 10}
TIME_RESERVE_MS = 3_000  # a message stops before a provider call with less left, and its rest goes on as a new one
MAX_RETRY_DELAY = 300  # seconds before a partly sent message's remaining recipients are tried again
PARK_DELAY_SECONDS = 900  # SQS's longest delay: a paused account is tried again after 7.5 to 15 minutes


class RetryLater(Exception):
    """Some recipients met a retryable provider error: their claims are released and the SQS message comes back."""



@dataclass
class _Run:
    """What one message's delivery has done so far."""

    token: str
    done: int = 0
    taken: int = 0
    retry: list[str] = field(default_factory=list)
    quota: str | None = None  # the provider's quota or pause code, when it refused for that
    out_of_time: bool = False  # stopped before the invocation's end: the rest continues in a new message
    recorded: set[str] = field(default_factory=set)


class DeliverStage:
    def __init__(self, lifecycle: AlertLifecycle, ledger: Ledger, residents: Residents, suppressions: Suppressions,
                 renderer: Renderer, sink: JobSink, sleep: Callable[[float], None],
                 retry_pauses: tuple[float, ...] = (0.2, 0.8, 2.0), jitter: Callable[[float, float], float] =
                 random.uniform, park_delay_seconds: int = PARK_DELAY_SECONDS) -> None:
        self._lifecycle = lifecycle
        self._ledger = ledger
        self._residents = residents
        self._suppressions = suppressions
        self._renderer = renderer
        self._sink = sink
        self._sleep = sleep
        self._retry_pauses = retry_pauses
        self._jitter = jitter
        self._park_delay = min(max(1, park_delay_seconds), PARK_DELAY_SECONDS)

    def run(self, job: DeliveryJob, slot: int, remaining_ms: Callable[[], int] = remaining_forever) -> str:
        """Sends one delivery message's recipients, claiming each provider call's worth just before the call."""
        alert_id, channel, keys = job.alert_id, job.channel, list(job.keys)
        found = self._lifecycle.load(job.organisation, alert_id)
        entries = self._ledger.entries(alert_id, keys)
        expired = found is not None and found[0].expires_at is not None and self._lifecycle.now() > found[0].expires_at
        if found is None or found[0].status is Status.CANCELLED or expired:
            # Cancelled, or past its expiry time (old news must not arrive late): what is not yet sent stops here.
            queued = [k for k, e in entries.items() if e.status == QUEUED]
            stopped = self._ledger.set_status(alert_id, queued, CANCELLED, slot)
            self._lifecycle.finish_if_done(job.organisation, alert_id)
            return f"stopped {stopped}: alert {'expired' if expired else 'cancelled'}"
        alert, item = found
        claimed_before = [k for k, e in entries.items() if e.status == CLAIMED]
        unconfirmed = self._ledger.mark_stale_unconfirmed(alert_id, claimed_before, slot) if claimed_before else []
        # Claims too recent to call stale: another invocation may still be sending them, or one died moments ago
        # (SQS gives a message back after its visibility timeout, sooner than the claim timeout).
        settled = set(unconfirmed)
        held = [k for k in claimed_before if k not in settled]
        run = _Run(uuid.uuid4().hex)
        groups: dict[tuple[str, bool], list[Entry]] = defaultdict(list)
        for key in keys:
            entry = entries.get(key)
            if entry is not None and entry.status == QUEUED:
                groups[(entry.language, entry.footage)].append(entry)
        size = PROVIDER_CALL_SIZE[channel]
        for (language, footage), members in sorted(groups.items()):
            for start in range(0, len(members), size):
                if run.retry or run.out_of_time:
                    break  # the provider pushed back: leave the rest queued for the retried message
                if remaining_ms() < TIME_RESERVE_MS:
                    # Work per message is bounded by the invocation's time, too: a slow provider (or the SMS pace)
                    # hands the rest on rather than timing out with recipients claimed.
                    run.out_of_time = True
                    break
                self._call(alert, channel, language, footage, members[start:start + size], slot, run, remaining_ms)
        resumed = run.done and alert.status is Status.PAUSED and not run.quota
        if resumed and self._lifecycle.move(alert, item, Status.SENDING):
            self._lifecycle.audit(alert, "resume", detail=f"{channel} provider accepted again")
        if run.retry or run.out_of_time:
            return self._hand_back(job, alert, item, entries, held, run)
        if held:
            # Look at them again once a claim that old would be stale, so that each one ends sent, failed or
            # unconfirmed, and none stays claimed with no message left to settle it.
            self._sink.send([Next(job.with_keys(held, 0), math.ceil(self._ledger.claim_timeout) + 1)])
        self._lifecycle.finish_if_done(job.organisation, alert_id)
        return (f"{channel}: {run.done} sent or failed, {run.taken} taken by others, {len(unconfirmed)} unconfirmed, "
                f"{len(held)} held by another invocation")

    def _call(self, alert: Alert, channel: str, language: str, footage: bool, members: list[Entry], slot: int,
              run: _Run, remaining_ms: Callable[[], int]) -> None:
        """One provider call's worth: claim, check, send (again after a short pause if throttled), record."""
        claim = self._ledger.claim(alert.id, [e.key for e in members], run.token)
        run.taken += len(claim.refused)
        by_key = {e.key: e for e in members}
        try:
            pending = self._sendable(alert.id, channel, run.token, [by_key[k] for k in claim.claimed], slot)
        except Exception:
            # Nothing has gone to these yet (the profiles or suppressions could not be read): hand the claims back,
            # so the retried message sends them instead of counting them as unconfirmed.
            self._ledger.release_claims(alert.id, list(claim.claimed), run.token)
            raise
        for pause in (*self._retry_pauses, None):
            if not pending:
                return
            results = self._renderer.send(alert, channel, language, footage, pending)
            self._record(alert.id, results, slot, run)
            again = {r.key for r in results if r.outcome.retried}
            pending = [(e, r) for e, r in pending if e.key in again]
            quota = next((r for r in results if r.outcome is Outcome.QUOTA), None)
            if quota is not None:
                # The account may not send for a while: trying again within this invocation cannot help.
                run.quota = quota.error or "quota"
            if pending and (quota is not None or pause is None or remaining_ms() < (pause + 2) * 1000):
                run.retry.extend(e.key for e, _ in pending)
                return
            if pending:
                # A throttle or a 5xx is usually over in a moment: try the same claimed recipients again here, as
                # the SDK's own retries would, before handing them back to the queue.
                self._sleep(pause * self._jitter(0.5, 1.0))  # type: ignore[operator]

    def _record(self, alert_id: str, results: list[SendResult], slot: int, run: _Run) -> None:
        recorded = [(r.key, SENT if r.outcome is Outcome.ACCEPTED else FAILED, r.provider_id, r.error)
                    for r in results if not r.outcome.retried]
        if recorded:
            self._ledger.record(alert_id, run.token, recorded, slot)
        run.done += len(recorded)
        run.recorded.update(r[0] for r in recorded)

    def _hand_back(self, job: DeliveryJob, alert: Alert, item: object, found: Mapping[str, Entry],
                   held: list[str], run: _Run) -> str:
        self._ledger.release_claims(job.alert_id, run.retry, run.token)
        to_retry = set(run.retry) | set(held)
        remaining = [key for key in job.keys if key in to_retry or (
            key in found and key not in run.recorded and found[key].status == QUEUED)]
        if run.quota:
            if alert.status is Status.SENDING and self._lifecycle.move(alert, item, Status.PAUSED, run.quota):
                self._lifecycle.audit(alert, "pause", detail=f"{job.channel} provider refused: {run.quota}")
            delay = max(1, int(self._park_delay * self._jitter(0.5, 1.0)))
            self._sink.send([Next(job.with_keys(remaining, 0), delay)])
            return f"{job.channel}: {run.done} sent or failed, {len(remaining)} parked ({run.quota})"
        if not run.retry:
            rest = [key for key in remaining if key not in set(held)]
            later = [Next(job.with_keys(held, 0), math.ceil(self._ledger.claim_timeout) + 1)] if held else []
            self._sink.send([Next(job.with_keys(rest, job.attempt)), *later])
            return f"{job.channel}: {run.done} sent or failed, {len(rest)} continue in a new message"
        if not run.done:
            # No progress at all: fail the message (a partial batch failure), so that SQS gives it back after its
            # visibility timeout, and a provider that keeps refusing ends in the dead-letter queue.
            raise RetryLater(f"{len(run.retry)} {job.channel} recipients to retry")
        # Some went out: the rest go back on the queue as a new message, after a growing delay, so that a provider
        # that throttles now and then does not use up the message's receive count with partial progress.
        attempt = job.attempt + 1
        self._sink.send([Next(job.with_keys(remaining, attempt), min(MAX_RETRY_DELAY, 2 ** attempt))])
        return f"{job.channel}: {run.done} sent or failed, {len(remaining)} to retry"

    def _sendable(self, alert_id: str, channel: str, token: str, claimed: list[Entry],
                  slot: int) -> list[tuple[Entry, Resident]]:
        """The claimed recipients that can still be sent to; the others are recorded as suppressed, erased or
        failed."""
        if not claimed:
            return []
        residents = self._residents.get_many(e.resident_id for e in claimed)
        suppressed = self._suppressions.reasons(e.contact for e in claimed if not e.contact.startswith("push:"))
        outcomes: list[tuple[str, str, str | None, str | None]] = []
        sendable = []
        for entry in claimed:
            resident = residents.get(entry.resident_id)
            if undeliverable(suppressed.get(entry.contact), channel):
                outcomes.append((entry.key, SUPPRESSED, None, suppressed[entry.contact]))
            elif resident is None:
                outcomes.append((entry.key, ERASED, None, None))  # erased since targeting: only a tombstone stays
            elif resident.status != ACTIVE or contact_for(resident, channel) != entry.contact:
                outcomes.append((entry.key, FAILED, None, "contact-gone"))  # left, or changed contact
            else:
                sendable.append((entry, resident))
        if outcomes:
            self._ledger.record(alert_id, token, outcomes, slot)
        return sendable
