"""Preview: count a preview that did not finish within its request, in bounded pieces, so that even a whole force's
count finishes and can be polled.

The first job covers the target, freezes its geometry under the preview's id (as a send's plan does) and queues one
job per shard of key ranges. Each piece reads at most `max_locations` locations (or until its invocation runs short
of time) and adds its counts to the preview once (adapters/preview_tally.py), recording where it stopped; only then
is the continuation queued, so a piece that dies before counting is retried whole and never overlaps its successor,
and a piece redelivered after counting queues the same continuation again. The piece that leaves none open writes
the result. Residents with several locations are counted by the first inside (domain/audience.py), so pieces add up.
"""

from __future__ import annotations

from collections.abc import Callable

from ...domain import alerts as alert_rules
from ...domain.alerts import Source
from ...domain.audience import Audience, AudienceCounts, Filters
from ...domain.coverage import cover
from ...domain.jobs import PreviewJob, piece_end, rest_after
from ...domain.previews import COUNTING, PreviewState, counters, preview_result
from ...domain.send_cost import CostSettings
from ..targets import footage_centre
from .plan import SHARD_RANGES, TargetGeometry
from .ports import FrozenPlans, JobSink, Locations, Next, PreviewTally, remaining_forever
from .shard import read_bounded

PREVIEW_LOCATIONS_PER_PIECE = 20_000  # no resident reads or ledger writes follow, so more than a shard's piece
TIME_RESERVE_MS = 5_000  # left for the one update that counts the piece, and the continuation's message



class PreviewStage:
    def __init__(self, tally: PreviewTally, resolver: TargetGeometry, plans: FrozenPlans, locations: Locations,
                 sink: JobSink, settings: CostSettings, max_locations: int = PREVIEW_LOCATIONS_PER_PIECE) -> None:
        self._tally = tally
        self._resolver = resolver
        self._plans = plans
        self._locations = locations
        self._sink = sink
        self._settings = settings
        self._max_locations = max_locations

    def run(self, job: PreviewJob, remaining_ms: Callable[[], int] = remaining_forever) -> str:
        state = self._tally.get(job.preview_id)
        if state is None:
            return "skipped: preview expired"
        if state.status != COUNTING:
            return "skipped: counted already"
        if job.shard is None:
            return self._plan(job, state)
        return self._piece(job, state, remaining_ms)

    def _draft(self, state: PreviewState) -> alert_rules.Alert:
        # The requester's reach was checked when they asked: the worker needs only the geometry, and no officer. Its
        # times are checked as of the request, so an expiry that passes while a big count runs cannot fail it.
        return alert_rules.new_alert("0" * 26, state.request, Source("officer", state.organisation, state.requested_by),
                                     state.requested_at)

    def _plan(self, job: PreviewJob, state: PreviewState) -> str:
        alert = self._draft(state)
        if state.planned:  # redelivered after planning: queue again the shards that never counted a piece
            target = self._plans.target(job.preview_id)
            if target is None:
                raise LookupError(f"no frozen geometry for preview {job.preview_id}")
        else:
            target = self._resolver.geometry(state.organisation, alert.target)
            self._plans.freeze(job.preview_id, target, expires_at=state.expires_at)
        ranges = cover(target).ranges
        shards = [tuple(ranges[start:start + SHARD_RANGES]) for start in range(0, len(ranges), SHARD_RANGES)]
        if not state.planned:
            self._tally.start(job.preview_id, len(shards))
        if not shards:
            self._tally.finish(job.preview_id, preview_result(alert, AudienceCounts(), self._settings))
            return "preview counted: nobody can live there"
        self._sink.send([Next(PreviewJob(job.preview_id, number, 0, shard)) for number, shard in enumerate(shards)
                         if f"{number}.0" not in state.done_pieces])
        return f"preview planned: {len(shards)} shards, {len(ranges)} ranges"

    def _piece(self, job: PreviewJob, state: PreviewState, remaining_ms: Callable[[], int]) -> str:
        if job.name in state.done_pieces:
            self._after_counted(job, state)
            return "skipped: piece counted already"
        target = self._plans.target(job.preview_id)
        if target is None:
            raise LookupError(f"no frozen geometry for preview {job.preview_id}")  # retried, then dead-lettered
        filters = Filters.of(state.request, footage_centre(target))
        audience = Audience()
        rest = read_bounded(self._locations, job.ranges, target.contains,
                            lambda item: audience.add_location(filters, item, target.contains), self._max_locations,
                            lambda: remaining_ms() < TIME_RESERVE_MS)
        end = piece_end(job.ranges, rest)
        counted = self._tally.finish_piece(job.preview_id, job.name, job.previous, counters(audience.counts()), end)
        if counted is None:  # another delivery of this job counted it meanwhile
            return "skipped: piece counted already"
        self._after_counted(job, counted)
        return f"preview piece {job.name}: {audience.residents()} residents" + (", continues" if rest else "")

    def _after_counted(self, job: PreviewJob, state: PreviewState) -> None:
        """Queues the piece's continuation (again, if redelivered), or writes the result once no piece is open."""
        end = state.ends.get(job.name)
        if end is not None:
            self._sink.send([Next(job.continued(rest_after(job.ranges, end)))])
        elif state.pieces_open == 0:
            self._tally.finish(job.preview_id, preview_result(self._draft(state), state.counts, self._settings))
