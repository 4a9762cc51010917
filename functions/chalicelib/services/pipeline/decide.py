"""Decide, once the whole audience is in the ledger: hold a costly send that no supervisor has covered, or release it
in jobs of about RELEASE_RECIPIENTS_PER_JOB recipients per channel. Run by whichever shard piece finishes last, and
again by a re-plan (the reconciler), when it queues only the releases that have not run."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...domain import alerts as alert_rules
from ...domain.alerts import Alert, Status
from ...domain.audience import LEDGER_BUCKETS
from ...domain.jobs import ReleaseJob
from ...domain.progress import COSTLY, Progress
from ...domain.send_cost import check_cost
from .lifecycle import AlertLifecycle
from .ports import JobSink, Ledger, Next

if TYPE_CHECKING:
    from ..alerts import AlertSettings

RELEASE_RECIPIENTS_PER_JOB = 5000  # a release job reads about this many ledger entries (it continues past them)


def releases_early(alert: Alert) -> bool:
    """Whether each shard piece may queue its recipients for delivery as soon as it has written them, before the whole
    audience is known: when no audience could make the send need a supervisor (no SMS or voice, or a sender whose role
    covers a costly send). The first residents then hear within three queue hops of the send, not after the last
    shard. Otherwise the decision waits for the whole audience, and release jobs follow it."""
    if not {"sms", "voice"} & set(alert.channels):
        return True
    return not alert_rules.needs_supervisor(alert, costly=True)


def release_jobs(alert: Alert, audience: dict[str, int]) -> list[ReleaseJob]:
    """The ledger's buckets of each channel, split over enough jobs to read them in parallel."""
    jobs: list[ReleaseJob] = []
    buckets = [f"{b:02x}" for b in range(LEDGER_BUCKETS)]
    for channel, count in sorted(audience.items()):
        parts = max(1, min(LEDGER_BUCKETS, math.ceil(count / RELEASE_RECIPIENTS_PER_JOB)))
        jobs.extend(ReleaseJob(alert.source.organisation, alert.id, channel, tuple(buckets[part::parts]))
                    for part in range(parts))
    return jobs


class DecideStage:
    def __init__(self, lifecycle: AlertLifecycle, ledger: Ledger, sink: JobSink, settings: AlertSettings) -> None:
        self._lifecycle = lifecycle
        self._ledger = ledger
        self._sink = sink
        self._settings = settings

    def run(self, alert: Alert, item: Any, progress: Progress, reconcile: bool = False) -> str:
        if alert.status not in (Status.SENDING, Status.PAUSED):
            return f"skipped: alert is {alert.status.value}"
        audience = {channel: count for channel, count in progress.audience.items() if count}
        costly = check_cost(alert, audience, self._settings).costly
        size = sum(audience.values())
        if costly and not progress.costly:
            self._ledger.add_to_targeting(alert.id, {COSTLY: 1})
        if alert_rules.needs_supervisor(alert, costly):
            if self._lifecycle.move(alert, item, Status.PENDING_APPROVAL):
                self._lifecycle.audit(alert, "hold", size, "over the SMS and voice limits: a supervisor must approve")
            return "held for a supervisor"
        if progress.early_release_pieces:
            return self._released_early(alert, progress, reconcile)
        jobs = release_jobs(alert, audience)
        if progress.decided:
            # A re-plan of a released alert: the releases that never finished go again. For the reconciler (an alert
            # stuck sending: a delivery message lost, or dead-lettered), the finished ones are swept as well, which
            # queues again whatever is still unsent; the ledger's claims keep anyone from getting it twice.
            pending = [job for job in jobs if job.name not in progress.pieces_done]
            swept = [replace(job, sweep=True) for job in jobs if job.name in progress.pieces_done] if reconcile else []
            self._sink.send([Next(job) for job in pending + swept])
            self._lifecycle.finish_if_done(alert.source.organisation, alert.id)
            return f"re-released {len(pending)} of {len(jobs)} jobs, swept {len(swept)}"
        self._ledger.set_releases(alert.id, len(jobs))
        if not jobs:
            if self._lifecycle.move(alert, item, Status.SENT):
                self._lifecycle.audit(alert, "sent", 0, "nobody in the area chose this alert")
            return "sent: empty audience"
        self._sink.send([Next(job) for job in jobs])
        self._lifecycle.audit(alert, "release", size)
        return f"released to {size} recipients in {len(jobs)} jobs"

    def _released_early(self, alert: Alert, progress: Progress, reconcile: bool) -> str:
        """The shards released their recipients as they went: no release jobs, the alert is sent once they all have
        an outcome. The reconciler's plan sweeps every segment instead."""
        if progress.decided:
            swept = [replace(job, sweep=True) for job in release_jobs(alert, dict(progress.audience))] \
                if reconcile else []
            self._sink.send([Next(job) for job in swept])
            self._lifecycle.finish_if_done(alert.source.organisation, alert.id)
            return f"released early already, swept {len(swept)}"
        self._ledger.set_releases(alert.id, 0)
        size = sum(progress.released.values())
        if size:
            self._lifecycle.audit(alert, "release", size)
        # Sent now if every recipient already has an outcome (or there were none), else by the last delivery.
        self._lifecycle.finish_if_done(alert.source.organisation, alert.id)
        return f"released early to {size} recipients"
