"""Texts residents send to the two-way number, from the SNS topic that number's TwoWayChannelArn names.

Each SNS message is one text in End User Messaging SMS's two-way shape (domain/sms_replies.py). A malformed one is
logged (without its contents) and dropped: a retry would not mend it. Handling is idempotent (services/inbound_sms.py),
so SNS's and Lambda's redeliveries answer a command once and store a reply once; what fails three times goes to the
function's dead-letter queue.
"""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import config
from ..bootstrap import inbound_sms
from ..domain.sms_replies import parse_inbound_payload
from ..observability import logger, wrap_when_alone

inbound_workers = Blueprint(__name__)


@inbound_workers.on_sns_message(topic=config.resource_name(config.INBOUND_SMS_TOPIC))
def handle_inbound_sms(event: SNSEvent) -> None:
    try:
        inbound = parse_inbound_payload(event.message)
    except ValueError as error:
        logger.warning("inbound SMS refused", extra={"reason": str(error)[:120]})
        return
    outcome = inbound_sms().handle(inbound, _received_at(event))
    logger.info("inbound SMS handled", extra={"intent": inbound.sms.intent.value, "outcome": outcome,
                                              "message_id": inbound.message_id})


def _received_at(event: SNSEvent) -> float:
    """SNS's timestamp: the same on every redelivery of the message, so the reply's id is too."""
    stamp = (event.to_dict().get("Records") or [{}])[0].get("Sns", {}).get("Timestamp", "")
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


wrap_when_alone(handle_inbound_sms)
