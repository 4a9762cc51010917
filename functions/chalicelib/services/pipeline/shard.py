"""Shard: read a shard's key ranges, test each location exactly, filter by the residents' choices, look up each
recipient's contact hash (and whether it is suppressed) and write the frozen audience to the delivery ledger.

Work per message is bounded: a piece stops after MAX_LOCATIONS_PER_PIECE locations, or when its invocation has less
than TIME_RESERVE_MS left, and the rest of its ranges become the next piece. The piece counts first, recording where
it stopped with its counts, and only then queues its continuation: a piece that dies before counting is retried whole
(perhaps stopping elsewhere, with more or less time) and no continuation of the dead try overlaps it; a piece that
dies after counting is redelivered and queues the same continuation from the recorded stop. The reads, writes and CPU
of one message are those of at most MAX_LOCATIONS_PER_PIECE locations, whatever the audience.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import islice
from typing import Any

from ...adapters.ledger import LedgerEntry
from ...domain.alerts import Alert, Status
from ...domain.audience import Audience, Filters, Inside
from ...domain.coverage import Target
from ...domain.geo import KeyRange
from ...domain.jobs import ShardJob, piece_end, rest_after
from ...domain.progress import QUEUED, SUPPRESSED, Progress, audience_counts, early_release_counts
from ...domain.scope import FrozenScope
from ..targets import footage_centre
from .decide import DecideStage, releases_early
from .duplicates import Duplicates
from .lifecycle import AlertLifecycle
from .ports import FrozenPlans, JobSink, Ledger, Location, Locations, Next, Residents, Suppressions, remaining_forever
from .release import delivery_messages
from .render import contact_for, undeliverable

MAX_LOCATIONS_PER_PIECE = 4000  # about 40 resident reads of 100, and the ledger writes of their recipients
TIME_RESERVE_MS = 20_000  # a piece stops and continues when its invocation has less left than this
CLOCK_CHECK_EVERY = 100  # locations between looks at the remaining time
QUERY_CONCURRENCY = 4  # range Queries in flight at once while a piece reads



def read_bounded(locations: Locations, ranges: Sequence[KeyRange], inside: Inside,
                 add: Callable[[Mapping[str, Any]], None], max_locations: int, out_of_time: Callable[[], bool],
                 concurrency: int = QUERY_CONCURRENCY) -> list[KeyRange]:
    """Reads the ranges in order, handing `add` each location inside, until `max_locations` were read or time runs
    out; answers the ranges left (none when all were read). A piece of a send or of a preview is read this way.

    Given the test, a resident with several locations is added by the first inside only (domain/audience.py): a
    piece that reads another of them adds nobody, so pieces add up without counting anyone twice."""
    read = 0
    # `read` is looked up when a range is asked for, on purpose: the budget is what the piece may still read then.
    for position, items in ranges_ahead(locations, ranges, lambda: max_locations - read, concurrency):  # noqa: B023
        key_range = ranges[position]
        for location in items:
            read += 1
            if inside(float(location.lat), float(location.lng)):
                add(location.attribute_values)
            if read >= max_locations or (read % CLOCK_CHECK_EVERY == 0 and out_of_time()):
                # "!" sorts before every character a sort key continues with, so this resumes just after it.
                resume = KeyRange(key_range.partition, str(location.sk) + "!", key_range.high)
                return [resume, *ranges[position + 1:]]
    return []


def ranges_ahead(locations: Locations, ranges: Sequence[KeyRange], budget: Callable[[], int],
                 concurrency: int) -> Iterator[tuple[int, Iterable[Location]]]:
    """Each range's locations, in the ranges' order, with the Queries of up to `concurrency` ranges ahead in flight
    at once: the ranges are independent, and a worker waiting on one Query has time to spare for the next.

    A range read ahead is read up to `budget()` locations (what the piece may still read when it is asked for), so a
    piece that stops reads at most that much more than it uses from each range in flight. The first range is read in
    this thread, so that the store's client exists before the pool's threads share it."""
    if concurrency <= 1 or len(ranges) <= 1:
        yield from enumerate(locations.in_range(key_range) for key_range in ranges)
        return

    def fetch(key_range: KeyRange, most: int) -> list[Location]:
        return list(islice(locations.in_range(key_range), max(most, 1)))

    first = fetch(ranges[0], budget())
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ranges")
    try:
        ahead = deque(pool.submit(fetch, key_range, budget()) for key_range in ranges[1:concurrency + 1])
        yield 0, first
        for position in range(1, len(ranges)):
            found = ahead.popleft().result()
            if position + concurrency < len(ranges):
                ahead.append(pool.submit(fetch, ranges[position + concurrency], budget()))
            yield position, found
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a piece that stopped early does not wait for reads ahead


class ShardStage:
    def __init__(self, lifecycle: AlertLifecycle, ledger: Ledger, plans: FrozenPlans, locations: Locations,
                 residents: Residents, suppressions: Suppressions, sink: JobSink, decide: DecideStage,
                 max_locations: int = MAX_LOCATIONS_PER_PIECE, duplicates: Duplicates | None = None) -> None:
        self._duplicates = duplicates
        self._lifecycle = lifecycle
        self._ledger = ledger
        self._plans = plans
        self._locations = locations
        self._residents = residents
        self._suppressions = suppressions
        self._sink = sink
        self._decide = decide
        self._max_locations = max_locations

    def run(self, job: ShardJob, remaining_ms: Callable[[], int] = remaining_forever) -> str:
        progress = self._lifecycle.progress(job.alert_id)
        if job.name in progress.pieces_done:
            # Counted, then failed before SQS heard: queue the same continuation again (it cannot know the first
            # reached the queue; a duplicate is skipped as counted), or decide if it was the last piece.
            self._continue(job, progress)
            if progress.targeted and not progress.decided and \
                    (found := self._lifecycle.load(job.organisation, job.alert_id)) is not None:
                return self._decide.run(*found, progress)  # the last piece counted, then failed before deciding
            return "skipped: piece done already"
        found = self._lifecycle.load(job.organisation, job.alert_id)
        if found is None:
            return "skipped: no such alert"
        alert = found[0]
        if alert.status is Status.CANCELLED:
            return "skipped: cancelled"
        # The officers' reach was checked at create, send and approve; the worker reads the geometry the plan froze
        # and, as a second line of defence, sends to nobody outside the reach frozen into the alert then (none frozen:
        # nobody).
        target = self._plans.target(job.alert_id)
        if target is None:
            raise LookupError(f"no frozen plan geometry for alert {job.alert_id}")  # retried, then dead-lettered
        scope = FrozenScope(alert.frozen_scope)
        filters = Filters.of({"category": alert.category, "channels": alert.channels, "groups": alert.groups,
                              "business_sectors": alert.business_sectors,
                              "footage_request": alert.footage_request,
                              "sender_type": alert.source.partner_type}, footage_centre(target))
        audience, rest = self._read(job.ranges, target, scope, filters, remaining_ms)
        entries = self._entries(audience)
        already = self._already_reached(alert, entries)
        entries = [replace(e, status=SUPPRESSED) if e.resident_id in already else e for e in entries]
        self._ledger.put_entries(job.alert_id, entries)
        queued = Counter(e.channel for e in entries if e.status == QUEUED)
        suppressed = Counter(e.channel for e in entries if e.status == SUPPRESSED and e.resident_id not in already)
        counts = audience_counts(queued, suppressed, Counter(e.channel for e in entries if e.resident_id in already),
                                 len(already))
        if releases_early(alert):
            # Queued before the piece is counted: a piece that dies here is retried whole, and its recipients' claims
            # keep the repeated messages from sending anyone twice.
            self._sink.send([Next(message) for message in delivery_messages(job.organisation, job.alert_id, entries)])
            counts.update(early_release_counts(queued))
        end = piece_end(job.ranges, rest)
        state = self._ledger.finish_piece(job.alert_id, job.name, not rest, counts, end, job.previous)
        if state is None:
            return "skipped: piece counted already"
        counted = Progress.from_item(state)
        self._continue(job, counted)
        if not rest and counted.targeted and (found := self._lifecycle.load(job.organisation, job.alert_id)):
            return self._decide.run(*found, counted)
        return f"piece {job.name}: {len(entries)} recipients" + (", continues" if rest else "")

    def _continue(self, job: ShardJob, progress: Progress) -> None:
        """Queues the continuation from where the counted piece stopped, if it stopped short of its shard's end."""
        end = progress.ends.get(job.name)
        if end is not None:
            self._sink.send([Next(job.continued(rest_after(job.ranges, end)))])

    def _read(self, ranges: tuple[KeyRange, ...], target: Target, scope: FrozenScope, filters: Filters,
              remaining_ms: Callable[[], int]) -> tuple[Audience, list[KeyRange]]:
        """The audience of these ranges, up to the piece's bounds; and the ranges left for the next piece."""
        audience = Audience()

        def inside(lat: float, lng: float) -> bool:
            return target.contains(lat, lng) and scope.contains(lat, lng)

        rest = read_bounded(self._locations, ranges, inside, lambda item: audience.add_location(filters, item, inside),
                            self._max_locations, lambda: remaining_ms() < TIME_RESERVE_MS)
        return audience, rest

    def _already_reached(self, alert: Alert, entries: list[LedgerEntry]) -> set[str]:
        """The residents an earlier alert of the same appeal reached (domain/dedup.py): left out of this one."""
        if self._duplicates is None or not alert.duplicate_of:
            return set()
        return self._duplicates.reached_residents(alert.duplicate_of, entries)

    def _entries(self, audience: Audience) -> list[LedgerEntry]:
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
                            SUPPRESSED if undeliverable(suppressed.get(contacts[r.key]), r.channel) else QUEUED,
                            r.footage)
                for r in recipients if r.key in contacts]
