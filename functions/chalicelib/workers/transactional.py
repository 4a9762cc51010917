"""SQS worker for verification, sign-in and welcome messages.

Powertools idempotency guards each SQS message (by its message id), so a redelivered message never sends twice;
a failure is reported per record, so only that record comes back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from chalice.app import SQSEvent

from .. import config
from ..bootstrap import services
from ..observability import logger, metrics, wrap_when_alone

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

# Powertools' batch and idempotency utilities are imported in the handler, not here: app.py imports this module for
# the API function too, which never runs it (bench/coldstart.py, tests/unit/test_import_boundaries.py).
transactional_workers = Blueprint(__name__)


@cache
def _idempotency() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(event_key_jmespath="messageId", expires_after_seconds=24 * 3600)


def _send(record: dict[str, Any]) -> str:
    job = json.loads(record["body"])
    outcome = services().transactional.handle(job)
    logger.info("transactional job done", extra={"job_type": job.get("type"), "outcome": outcome})
    metrics.add_metric(name="TransactionalSent" if outcome.startswith("sent") else "TransactionalSkipped",
                       unit="Count", value=1)
    return outcome


@cache
def _send_once(persistence: BasePersistenceLayer) -> Callable[..., Any]:
    """`_send` guarded by idempotency on the SQS message id, built once per wiring rather than once per record."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    return idempotent_function(data_keyword_argument="record", persistence_store=persistence,
                               config=_idempotency())(_send)


def _guarded(record: dict[str, Any]) -> str:
    return str(_send_once(services().idempotency)(record=record))


def _handle_record(record: SQSRecord) -> str:
    return _guarded(record.raw_event)


@transactional_workers.on_sqs_message(queue=config.resource_name(config.TRANSACTIONAL_QUEUE), batch_size=10)
def send_transactional(event: SQSEvent) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    # Lets idempotency records expire in-progress claims when the Lambda is about to time out.
    _idempotency().register_lambda_context(event.context)  # type: ignore[arg-type]
    return dict(process_partial_response(event=event.to_dict(), record_handler=_handle_record,
                                         processor=BatchProcessor(event_type=EventType.SQS),
                                         context=event.context))  # type: ignore[arg-type]


# In Lambda each of these is loaded on its own, without app.py (observability.wrap_when_alone says why).
wrap_when_alone(send_transactional)
