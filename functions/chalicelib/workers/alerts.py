"""SQS workers for alerts: targeting (plan, shard, release, slow previews) and one delivery worker per channel.

Each SQS message is guarded by Powertools idempotency on its message id (a redelivered message that completed does
nothing), and failures are reported per record through `BatchProcessor`, so only the failed message comes back,
after the queue's visibility timeout: that is the backoff for throttled providers. Inside a delivery message, the
ledger's claims keep any one recipient from being sent twice (services/pipeline/deliver.py).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from chalice.app import SQSEvent

from .. import config
from ..adapters.ledger import TALLY_SLOTS
from ..bootstrap import fanout, services
from ..observability import logger, metrics, wrap_when_alone

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

# The fan-out and Powertools' batch and idempotency utilities are imported when a handler runs, not here: app.py
# imports this module for the API function too, which never runs these handlers (bench/coldstart.py,
# tests/unit/test_import_boundaries.py).
alert_workers = Blueprint(__name__)


@cache
def _idempotency() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(event_key_jmespath="messageId", expires_after_seconds=24 * 3600)


def _remaining(context: Any) -> Callable[[], int]:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter if callable(getter) else (lambda: 10**9)


def _target(record: dict[str, Any], context: Any = None) -> str:
    job = json.loads(record["body"])
    kind = job.get("type")
    outcome = fanout().target(job, _remaining(context))
    logger.info("targeting job done", extra={"job_type": kind, "alert_id": job.get("alert_id"), "outcome": outcome})
    return outcome


def _deliver(record: dict[str, Any], context: Any = None) -> str:
    job = json.loads(record["body"])
    slot = zlib.crc32(record["messageId"].encode()) % TALLY_SLOTS
    outcome = fanout().deliver(job, slot, _remaining(context))
    logger.info("delivery batch done", extra={"channel": job.get("channel"), "alert_id": job.get("alert_id"),
                                              "outcome": outcome})
    metrics.add_metric(name="DeliveryBatches", unit="Count", value=1)
    return outcome


@cache
def _once(function: Callable[..., str], persistence: BasePersistenceLayer) -> Callable[..., Any]:
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    return idempotent_function(data_keyword_argument="record", persistence_store=persistence,
                               config=_idempotency())(function)


def _process(event: SQSEvent, function: Callable[..., str]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from ..services.pipeline import RetryLater

    _idempotency().register_lambda_context(event.context)  # type: ignore[arg-type]
    guarded = _once(function, services().idempotency)

    def handle(record: SQSRecord) -> str:
        try:
            return str(guarded(record=record.raw_event, context=event.context))
        except RetryLater as pushed_back:
            # Expected under throttling: SQS gives the message back; a warning, not an error with a stack.
            logger.warning("record handed back to retry", extra={"message_id": record.message_id,
                                                                 "reason": str(pushed_back)})
            raise
        except Exception:
            # The batch processor keeps the failure to itself: without this line an operator sees only a message
            # coming back, and then one in the dead-letter queue. Jobs carry ids, never addresses.
            logger.exception("record failed", extra={"message_id": record.message_id})
            raise

    return dict(process_partial_response(event=event.to_dict(), record_handler=handle,
                                         # Report every failed record, even when all failed: Lambda then retries
                                         # just those, with no error logged as an invocation failure.
                                         processor=BatchProcessor(event_type=EventType.SQS,
                                                                  raise_on_entire_batch_failure=False),
                                         context=event.context))  # type: ignore[arg-type]


@alert_workers.on_sqs_message(queue=config.resource_name(config.TARGETING_QUEUE), batch_size=1)
def target_alerts(event: SQSEvent) -> dict[str, Any]:
    return _process(event, _target)


@alert_workers.on_sqs_message(queue=config.resource_name(config.DELIVERY_QUEUES["email"]), batch_size=2)
def deliver_email(event: SQSEvent) -> dict[str, Any]:
    return _process(event, _deliver)


@alert_workers.on_sqs_message(queue=config.resource_name(config.DELIVERY_QUEUES["sms"]), batch_size=2)
def deliver_sms(event: SQSEvent) -> dict[str, Any]:
    return _process(event, _deliver)


@alert_workers.on_sqs_message(queue=config.resource_name(config.DELIVERY_QUEUES["voice"]), batch_size=2)
def deliver_voice(event: SQSEvent) -> dict[str, Any]:
    return _process(event, _deliver)


@alert_workers.on_sqs_message(queue=config.resource_name(config.DELIVERY_QUEUES["push"]), batch_size=2)
def deliver_push(event: SQSEvent) -> dict[str, Any]:
    return _process(event, _deliver)


# In Lambda each of these is loaded on its own, without app.py (observability.wrap_when_alone says why).
wrap_when_alone(target_alerts, deliver_email, deliver_sms, deliver_voice, deliver_push)
