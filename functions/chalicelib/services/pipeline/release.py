"""Release: read a segment of the ledger (one channel, some buckets) and queue its queued recipients for delivery,
RECIPIENTS_PER_MESSAGE to a message. Every recipient not suppressed at targeting is counted as released, whatever its
state (one erased since is counted by its tombstone), so that the counts the alert is finished against add up."""

from __future__ import annotations

from collections.abc import Iterable

from ...domain.jobs import DeliveryJob, ReleaseJob
from ...domain.progress import CLAIMED, QUEUED, SUPPRESSED, release_counts
from .lifecycle import AlertLifecycle
from .ports import Entry, JobSink, Ledger, Next

RECIPIENTS_PER_MESSAGE = 100  # per delivery message: two SES bulk calls, or a worker's SMS batch


def delivery_messages(organisation: str, alert_id: str, entries: Iterable[Entry]) -> list[DeliveryJob]:
    """The queued recipients among `entries`, RECIPIENTS_PER_MESSAGE to a delivery message, by channel."""
    by_channel: dict[str, list[str]] = {}
    for entry in entries:
        if entry.status == QUEUED:
            by_channel.setdefault(entry.channel, []).append(entry.key)
    return [DeliveryJob(organisation, alert_id, channel, tuple(keys[start:start + RECIPIENTS_PER_MESSAGE]))
            for channel, keys in sorted(by_channel.items())
            for start in range(0, len(keys), RECIPIENTS_PER_MESSAGE)]


class ReleaseStage:
    def __init__(self, lifecycle: AlertLifecycle, ledger: Ledger, sink: JobSink) -> None:
        self._lifecycle = lifecycle
        self._ledger = ledger
        self._sink = sink

    def run(self, job: ReleaseJob) -> str:
        if job.sweep:
            return self._sweep(job)
        progress = self._lifecycle.progress(job.alert_id)
        if job.name in progress.pieces_done:
            return "skipped: released already"  # a redelivered release must not queue its recipients twice
        if progress.early_release_pieces:
            return "skipped: the shards released their recipients"  # counting them again would never finish
        released = 0
        batch: list[str] = []
        messages: list[DeliveryJob] = []
        for bucket in job.buckets:
            for entry in self._ledger.segment(job.alert_id, job.channel, bucket):
                if entry.status == SUPPRESSED:
                    continue
                released += 1
                if entry.status == QUEUED:
                    batch.append(entry.key)
                if len(batch) == RECIPIENTS_PER_MESSAGE:
                    messages.append(DeliveryJob(job.organisation, job.alert_id, job.channel, tuple(batch)))
                    batch = []
        if batch:
            messages.append(DeliveryJob(job.organisation, job.alert_id, job.channel, tuple(batch)))
        self._sink.send([Next(message) for message in messages])
        self._ledger.finish_piece(job.alert_id, job.name, False, release_counts(job.channel, released))
        return f"released {released} {job.channel} recipients in {len(messages)} messages"

    def _sweep(self, job: ReleaseJob) -> str:
        """Queues again every recipient still queued or claimed (delivery settles a stale claim as unconfirmed)."""
        unsent = [entry.key for bucket in job.buckets
                  for entry in self._ledger.segment(job.alert_id, job.channel, bucket)
                  if entry.status in (QUEUED, CLAIMED)]
        messages = [DeliveryJob(job.organisation, job.alert_id, job.channel,
                                tuple(unsent[start:start + RECIPIENTS_PER_MESSAGE]))
                    for start in range(0, len(unsent), RECIPIENTS_PER_MESSAGE)]
        self._sink.send([Next(message) for message in messages])
        return f"swept {len(unsent)} unsent {job.channel} recipients into {len(messages)} messages"
