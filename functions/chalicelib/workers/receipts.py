"""Receipts for voice calls and SMS: the provider says whether a message it accepted reached the resident.

- `handle_voice_event`: Pinpoint SMS Voice v2 publishes the events of every call placed with the voice configuration
  set (`<prefix>-voice`) to the SNS topic `<prefix>-voice-events`; a final one (VOICE_COMPLETED, VOICE_NO_ANSWER,
  VOICE_BUSY, VOICE_FAILED, VOICE_TTL_EXPIRED) marks the call's ledger entry `delivered` or `failed`.
- `sms_receipts`: SNS writes a delivery-status record of every SMS it sends to CloudWatch Logs
  (`sns/<region>/<account>/DirectPublishToPhoneNumber` and `.../Failure`, once the account's SMS attributes name a
  role: `python -m infra.sms_delivery_status`); a subscription filter on each group invokes this pure Lambda function
  with the logs payload, and each record marks its SMS `delivered` or `failed`.

Both find the entry through the pointer the ledger wrote from the provider's message id when it recorded the send.
Neither logs a phone number: they log counts, the event type and ids. Both are invoked asynchronously, so a failure
is retried twice by Lambda and then sent to the function's dead-letter queue; they fail only when a receipt overtook
the record of its send (services/receipts.py, ReceiptTooEarly).
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import config
from ..bootstrap import receipts
from ..domain.receipts import parse_sms_logs, parse_voice_event
from ..observability import logger, wrap_when_alone

receipt_workers = Blueprint(__name__)


@receipt_workers.on_sns_message(topic=config.resource_name(config.VOICE_EVENTS_TOPIC))
def handle_voice_event(event: SNSEvent) -> None:
    try:
        document = json.loads(event.message)
    except ValueError:
        logger.warning("voice event is not JSON; ignored")
        return
    receipt = parse_voice_event(document)
    if receipt is None:
        event_type = document.get("eventType") if isinstance(document, dict) else None
        logger.warning("not a voice event; ignored", extra={"event_type": str(event_type)[:40]})
        return
    outcome = receipts().provider([receipt])
    logger.info("voice event handled", extra={"event_type": str(document.get("eventType")),
                                              "message_id": receipt.message_id, "outcome": outcome.counts})


@receipt_workers.lambda_function(name="sms_receipts")
def sms_receipts(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = parse_sms_logs(event)
    if batch is None:
        logger.warning("not a CloudWatch Logs payload; ignored")
        return {"receipts": 0}
    if batch.control:
        return {"receipts": 0}
    outcome = receipts().provider(batch.receipts)
    logger.info("SMS receipts handled", extra={"receipts": len(batch.receipts), "unreadable": batch.unreadable,
                                               "outcome": outcome.counts})
    return {"receipts": len(batch.receipts), "outcome": outcome.counts}


# In Lambda each of these is loaded on its own, without app.py (observability.wrap_when_alone says why).
wrap_when_alone(handle_voice_event, sms_receipts)
