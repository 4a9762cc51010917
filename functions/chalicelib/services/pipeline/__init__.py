"""From a sent alert to every recipient once, in five stages, one module each, each taking a typed job
(domain/jobs.py) and handing on the next:

1. **plan** (plan.py): cover the target with H3 key ranges, record the plan, queue one shard job per group of ranges;
2. **shard** (shard.py): read a shard's ranges, a bounded piece at a time, and write the frozen audience to the
   delivery ledger; the piece that completes the last shard runs the decision;
3. **decide** (decide.py): hold a costly send for a supervisor, or queue the release jobs;
4. **release** (release.py): read a segment of the ledger and queue its recipients, many per delivery message;
5. **deliver** (deliver.py, rendering in render.py): claim, send, record; park on quota errors.

A preview too big for its request is counted on the targeting queue too (preview.py), in pieces read as shards are.

The alert's progress is one typed object (domain/progress.py); the alert's moves and the final "sent" are in
lifecycle.py. Every stage depends on small ports (ports.py), so tests drive each with in-memory fakes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ...domain.jobs import DeliveryJob, PlanJob, PreviewJob, ReleaseJob, ShardJob, delivery_job, targeting_job
from ...domain.tokens import TokenSigner
from .decide import DecideStage
from .deliver import PARK_DELAY_SECONDS, DeliverStage, RetryLater
from .duplicates import Duplicates
from .lifecycle import AlertLifecycle
from .plan import GoingOut, PlanStage, TargetGeometry
from .ports import (
    AlertRecords,
    Channels,
    FrozenPlans,
    Ledger,
    Locations,
    Next,
    PreviewTally,
    Residents,
    Suppressions,
    remaining_forever,
)
from .preview import PREVIEW_LOCATIONS_PER_PIECE, PreviewStage
from .release import ReleaseStage
from .render import Localiser, Renderer
from .shard import MAX_LOCATIONS_PER_PIECE, ShardStage

if TYPE_CHECKING:
    from ..alerts import AlertSettings

__all__ = ["PARK_DELAY_SECONDS", "Channels", "Pipeline", "QueueSink", "RetryLater"]


class JobQueue(Protocol):
    def put(self, job: dict[str, Any], delay_seconds: int = 0) -> None: ...

    def put_many(self, jobs: list[dict[str, Any]]) -> None: ...


class QueueSink:
    """Puts each job on its queue: delivery jobs on their channel's, every other job on the targeting queue."""

    def __init__(self, targeting: JobQueue, delivery: dict[str, JobQueue]) -> None:
        self._targeting = targeting
        self._delivery = delivery

    def _queue(self, job: object) -> JobQueue:
        return self._delivery[job.channel] if isinstance(job, DeliveryJob) else self._targeting

    def send(self, jobs: Sequence[Next]) -> None:
        batches: dict[int, tuple[JobQueue, list[dict[str, Any]]]] = {}
        for queued in jobs:
            queue = self._queue(queued.job)
            if queued.delay_seconds:
                queue.put(queued.job.message(), delay_seconds=queued.delay_seconds)
            else:
                batches.setdefault(id(queue), (queue, []))[1].append(queued.job.message())
        for queue, messages in batches.values():
            queue.put_many(messages)



class Pipeline:
    """The stages wired together; the workers (workers/alerts.py) hand it each SQS message's body."""

    def __init__(self, *, store: AlertRecords, resolver: TargetGeometry, index: Locations, ledger: Ledger,
                 residents: Residents, suppressions: Suppressions, signer: TokenSigner, targeting_jobs: JobQueue,
                 delivery_queues: dict[str, JobQueue], channels: Channels, settings: AlertSettings,
                 reply_domain: str | None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 retry_pauses: tuple[float, ...] = (0.2, 0.8, 2.0),
                 park_delay_seconds: int = PARK_DELAY_SECONDS,
                 max_locations_per_piece: int = MAX_LOCATIONS_PER_PIECE, plans: FrozenPlans, previews: PreviewTally,
                 preview_locations_per_piece: int = PREVIEW_LOCATIONS_PER_PIECE,
                 duplicates: Duplicates | None = None, events: GoingOut | None = None,
                 translations: Localiser | None = None) -> None:
        sink = QueueSink(targeting_jobs, delivery_queues)
        lifecycle = AlertLifecycle(store, ledger, clock)
        decide = DecideStage(lifecycle, ledger, sink, settings)
        self.planner = PlanStage(lifecycle, ledger, resolver, plans, sink, decide, duplicates, events)
        self.sharder = ShardStage(lifecycle, ledger, plans, index, residents, suppressions, sink, decide,
                                  max_locations_per_piece, duplicates)
        self.releaser = ReleaseStage(lifecycle, ledger, sink)
        self.previewer = PreviewStage(previews, resolver, plans, index, sink, settings, preview_locations_per_piece)
        self.deliverer = DeliverStage(lifecycle, ledger, residents, suppressions,
                                      Renderer(channels, settings, signer, reply_domain, translations), sink, sleep,
                                      retry_pauses,
                                      park_delay_seconds=park_delay_seconds)

    def target(self, message: dict[str, Any], remaining_ms: Callable[[], int] = remaining_forever) -> str:
        """One targeting-queue message: a plan, a shard piece, a release, or a slow preview."""
        job = targeting_job(message)
        if isinstance(job, PlanJob):
            return self.planner.run(job)
        if isinstance(job, ShardJob):
            return self.sharder.run(job, remaining_ms)
        if isinstance(job, ReleaseJob):
            return self.releaser.run(job)
        assert isinstance(job, PreviewJob)
        return self.previewer.run(job, remaining_ms)

    # The stages by name, for the benches and tests that drive one message at a time.
    def plan(self, message: dict[str, Any]) -> str:
        return self.target(message)

    def shard(self, message: dict[str, Any], remaining_ms: Callable[[], int] = remaining_forever) -> str:
        return self.target(message, remaining_ms)

    def release(self, message: dict[str, Any]) -> str:
        return self.target(message)

    def deliver(self, message: dict[str, Any], slot: int, remaining_ms: Callable[[], int] = remaining_forever) -> str:
        return self.deliverer.run(delivery_job(message), slot, remaining_ms)
