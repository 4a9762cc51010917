"""SQS worker for partners' webhooks (services/webhooks.py): fans a force's events out to subscribed partners and
delivers each, signed. A failed delivery is reported as a batch item failure and its message made visible again
after a growing delay (30 s, 60 s, 120 s... from ApproximateReceiveCount), so one slow partner never holds back the
others; after the queue's maxReceiveCount the message goes to its dead-letter queue.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from chalice import Blueprint
from chalice.app import SQSEvent

from .. import config
from ..bootstrap import webhook_delivery
from ..observability import logger, wrap_when_alone

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

webhook_workers = Blueprint(__name__)


@cache
def _queue_url() -> str:
    return str(boto3.client("sqs").get_queue_url(QueueName=config.resource_name(config.WEBHOOK_QUEUE))["QueueUrl"])


def _handle_record(record: SQSRecord) -> str:
    from ..services.webhooks import RetryWebhook

    attempt = int(record.attributes.approximate_receive_count or 1)
    try:
        outcome = webhook_delivery().handle(json.loads(record.body), attempt)
    except RetryWebhook as retry:
        # Back on the queue after the delay rather than the queue's own visibility timeout.
        boto3.client("sqs").change_message_visibility(QueueUrl=_queue_url(), ReceiptHandle=record.receipt_handle,
                                                      VisibilityTimeout=retry.delay_seconds)
        logger.info("webhook delivery failed", extra={"attempt": attempt, "retry_in": retry.delay_seconds,
                                                       "reason": str(retry)[:120]})
        raise
    logger.info("webhook job done", extra={"outcome": outcome})
    return outcome


@webhook_workers.on_sqs_message(queue=config.resource_name(config.WEBHOOK_QUEUE), batch_size=5)
def deliver_webhooks(event: SQSEvent) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return dict(process_partial_response(event=event.to_dict(), record_handler=_handle_record,
                                         processor=BatchProcessor(event_type=EventType.SQS),
                                         context=event.context))  # type: ignore[arg-type]


wrap_when_alone(deliver_webhooks)
