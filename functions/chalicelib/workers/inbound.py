"""What residents send us: texts to the two-way number (the SNS topic its TwoWayChannelArn names), and emailed replies
(SES's receipt rule stores each in S3 and notifies the inbound mail topic).

Each SNS message is one text in End User Messaging SMS's two-way shape (domain/sms_replies.py), or one SES receipt
(domain/mail_receipts.py). A malformed one is logged (without its contents) and dropped: a retry would not mend it.
Handling is idempotent (services/inbound_sms.py, services/inbound_email.py), so SNS's and Lambda's redeliveries answer
a command once and store a reply once; what fails three times goes to the function's dead-letter queue.
"""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import config
from ..bootstrap import inbound_email, inbound_sms
from ..domain.mail_receipts import parse_receipt
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


@inbound_workers.on_sns_message(topic=config.resource_name(config.INBOUND_MAIL_TOPIC))
def handle_inbound_email(event: SNSEvent) -> None:
    try:
        receipt = parse_receipt(event.message)
    except ValueError as error:
        logger.warning("inbound mail notification refused", extra={"reason": str(error)[:120]})
        return
    if receipt is None:
        logger.info("not a received-mail notification; ignored")
        return
    outcome = inbound_email().handle(receipt)
    logger.info("inbound mail handled", extra={"outcome": outcome, "message_id": receipt.message_id,
                                               "verdicts": receipt.verdicts})


def _received_at(event: SNSEvent) -> float:
    """SNS's timestamp: the same on every redelivery of the message, so the reply's id is too."""
    stamp = (event.to_dict().get("Records") or [{}])[0].get("Sns", {}).get("Timestamp", "")
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


wrap_when_alone(handle_inbound_sms, handle_inbound_email)
