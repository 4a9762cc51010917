"""The dashboard's counters, fed by the subscribers table's stream: every change to a resident's profile, however it
was made, moves the counts of the cells it left and joined (services/stats.py, domain/stats.py)."""

from __future__ import annotations

from datetime import UTC

from chalice import Blueprint
from chalice.app import DynamoDBEvent

from .. import config
from ..bootstrap import stats_service
from ..observability import logger, metrics, wrap_when_alone

stats_workers = Blueprint(__name__)


# TRIM_HORIZON: a new or restarted mapping starts from the oldest record the stream keeps, so none is skipped; a
# record applied before finds its marker and changes nothing.
@stats_workers.on_dynamodb_record(stream_arn=config.subscribers_stream_arn(), batch_size=100,
                                  starting_position="TRIM_HORIZON")
def aggregate_stats(event: DynamoDBEvent) -> None:
    records = [{"event_id": record.event_id, "old_image": record.old_image, "new_image": record.new_image,
                "at": record.timestamp.replace(tzinfo=UTC)} for record in event]
    applied = stats_service().aggregate(records)
    # Counts only: a stream image holds residents' contact details, and none of it is logged.
    logger.info("resident counters updated", extra={"records": len(records), "applied": applied})
    metrics.add_metric(name="StatsRecordsApplied", unit="Count", value=applied)


wrap_when_alone(aggregate_stats)
