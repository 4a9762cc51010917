"""SES events through SNS: the configuration set's event publishing (`eventType`: Delivery, Bounce, Complaint, Reject,
Rendering Failure, DeliveryDelay) and the older identity notifications (`notificationType`).

A permanent bounce or a complaint puts the contact (its keyed hash) on the suppression list. When the mail was an
alert, its delivery-ledger entry (its `alert_id` and `ledger_key` tags; for older mail, the alert tag or the
X-Hexwatch-Alert header and the address's owner) becomes `delivered`, `bounced` or `failed` (services/receipts.py).

Anything else on the topic is logged (its type only) and ignored: the handler fails only when an entry's send is not
recorded yet, so that Lambda retries it, and after two retries the event goes to the function's dead-letter queue
(infra/receipts.patch.yaml).
"""

from __future__ import annotations

import json

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import config
from ..bootstrap import receipts
from ..domain.receipts import parse_ses_event
from ..observability import logger, wrap_when_alone

ses_event_workers = Blueprint(__name__)


@ses_event_workers.on_sns_message(topic=config.resource_name(config.SES_EVENTS_TOPIC))
def handle_ses_event(event: SNSEvent) -> None:
    try:
        document = json.loads(event.message)
    except ValueError:
        logger.warning("SES event is not JSON; ignored")
        return
    feedback = parse_ses_event(document)
    if feedback is None:
        logger.warning("not an SES event; ignored")
        return
    outcome = receipts().email(feedback)
    logger.info("SES event handled", extra={"event_type": feedback.kind, "alert_id": feedback.alert_id,
                                            "message_id": feedback.message_id, "outcome": outcome.counts})


# In Lambda each of these is loaded on its own, without app.py (observability.wrap_when_alone says why).
wrap_when_alone(handle_ses_event)
