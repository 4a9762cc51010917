"""Plan (one job per send): release a scheduled alert at its time, cover the target with H3 key ranges and queue one
shard job per SHARD_RANGES of them, so that a whole force is read by parallel invocations. A redelivered or re-queued
plan of an alert already planned goes on from where the alert is (the reconciler relies on it): it never re-targets."""

from __future__ import annotations

from typing import Protocol

from ...domain.alerts import Alert, Status
from ...domain.coverage import Target, cover
from ...domain.jobs import MAX_SQS_DELAY_SECONDS, PlanJob, ShardJob
from .decide import DecideStage
from .duplicates import Duplicates
from .lifecycle import AlertLifecycle
from .ports import FrozenPlans, JobSink, Ledger, Next

SHARD_RANGES = 48  # key ranges per shard: a 20 km circle is a handful of shards, a small one is one


class TargetGeometry(Protocol):
    def geometry(self, organisation: str, target: dict) -> Target: ...  # type: ignore[type-arg]


class GoingOut(Protocol):
    def went_out(self, alert: Alert) -> None: ...


class PlanStage:
    def __init__(self, lifecycle: AlertLifecycle, ledger: Ledger, resolver: TargetGeometry, plans: FrozenPlans,
                 sink: JobSink, decide: DecideStage, duplicates: Duplicates | None = None,
                 events: GoingOut | None = None) -> None:
        self._duplicates = duplicates
        self._events = events
        self._lifecycle = lifecycle
        self._ledger = ledger
        self._resolver = resolver
        self._plans = plans
        self._sink = sink
        self._decide = decide

    def _wait(self, job: PlanJob, wait: float) -> str:
        """Early (the alert was rescheduled later): a job for a time SQS can still delay to waits again; a later time
        is the every-minute schedule's (services/scheduled_release.py). A job from before that schedule existed (no
        release id) hops through delayed messages as it always did, rereading (and so honouring a cancel) each time."""
        if wait <= MAX_SQS_DELAY_SECONDS or job.release_id is None:
            self._sink.send([Next(job, int(min(wait, MAX_SQS_DELAY_SECONDS)))])
            return "scheduled: waiting"
        return "scheduled: the schedule releases it nearer the time"

    def run(self, job: PlanJob) -> str:
        found = self._lifecycle.load(job.organisation, job.alert_id)
        if found is None:
            return "skipped: no such alert"
        alert, item = found
        now = self._lifecycle.now()
        if alert.status is Status.SCHEDULED and alert.send_at is not None:
            wait = (alert.send_at - now).total_seconds()
            if wait > 1:
                return self._wait(job, wait)
            # The move is the release: it records this job's id in the same conditional write, so of two jobs for
            # the same time (overlapping schedule runs) one moves the alert and the other stops below.
            alert.release_id = job.release_id
            if not self._lifecycle.move(alert, item, Status.SENDING):
                return "skipped: alert changed"
            self._lifecycle.audit(alert, "send", detail="scheduled time reached")
        elif job.release_id and alert.release_id != job.release_id:
            return "skipped: released by another job"
        if alert.status not in (Status.SENDING, Status.PAUSED):
            return f"skipped: alert is {alert.status.value}"
        progress = self._lifecycle.progress(alert.id)
        if progress.targeted:
            # Targeted before: held for approval and now approved, a redelivered plan, or the reconciler's.
            return self._decide.run(alert, item, progress, job.reconcile)
        target = self._resolver.geometry(alert.source.organisation, alert.target)
        if self._duplicates is not None and not progress.planned:
            # Before any shard reads: every piece leaves out the residents the linked alerts reached.
            earlier = self._duplicates.earlier(alert, target)
            if earlier != alert.duplicate_of:
                alert.duplicate_of = earlier
                if not self._lifecycle.save(alert, item):
                    raise RuntimeError(f"alert {alert.id} changed while being linked")  # the plan job is retried
                self._lifecycle.audit(alert, "linked", detail="the same appeal as " + ", ".join(earlier))
        if self._events is not None and not progress.planned:
            self._events.went_out(alert)  # partners' webhooks (services/webhooks.py); a public alert only
        ranges = cover(target).ranges
        shards = [ranges[start:start + SHARD_RANGES] for start in range(0, len(ranges), SHARD_RANGES)]
        if progress.planned and progress.shards_total != len(shards):
            return "skipped: planned already with another cover"  # never mix two covers' shards in one ledger
        # Frozen before any shard exists: every piece tests residents against this geometry, whatever happens to the
        # named areas meanwhile, and no worker needs an officer's view of them.
        self._plans.freeze(alert.id, target)
        self._ledger.start_plan(alert.id, len(shards), alert.source.organisation)
        if not shards:
            return self._decide.run(alert, item, self._lifecycle.progress(alert.id))
        # A re-plan queues again only the shards that never started: a shard that has counted a piece goes on through
        # its own continuation message (in flight, or in the dead-letter queue for `python -m infra.redrive`).
        started = {piece.split(".", 1)[0] for piece in progress.pieces_done}
        self._sink.send([Next(ShardJob(job.organisation, alert.id, number, 0, tuple(shard)))
                         for number, shard in enumerate(shards) if str(number) not in started])
        return f"planned {len(shards)} shards, {len(ranges)} ranges"
