"""Messages residents send *to* Hexwatch, for the local stack: what End User Messaging SMS would publish to the
inbound topic when a resident texts the two-way number.

AWS publishes each inbound text to the number's TwoWayChannelArn as an SNS message whose body is JSON in this shape
(originationNumber, destinationNumber, messageKeyword, messageBody, inboundMessageId, previousPublishedMessageId).
The local stack has no phone network, so `text_us` publishes the same message to `<prefix>-inbound-sms` on the
emulator, and the event pump hands it to handle_inbound_sms as SNS hands it to Lambda.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

from infra.local.emulator import REGION
from infra.local.stack import ACCOUNT_ID, LOCAL_TWO_WAY_NUMBER


def inbound_sms_payload(from_number: str, text: str, to_number: str = LOCAL_TWO_WAY_NUMBER,
                        replying_to: str | None = None, message_id: str | None = None) -> dict[str, Any]:
    keyword = text.strip().split(" ", 1)[0].upper() if text.strip() else ""
    payload: dict[str, Any] = {
        "originationNumber": from_number, "destinationNumber": to_number, "messageKeyword": keyword,
        "messageBody": text, "inboundMessageId": message_id or str(uuid.uuid4())}
    if replying_to:
        payload["previousPublishedMessageId"] = replying_to
    return payload


def text_us(prefix: str, from_number: str, text: str, endpoint: str | None = None,
            replying_to: str | None = None) -> str:
    """Publishes one inbound text to the stack's inbound topic; answers its inboundMessageId."""
    payload = inbound_sms_payload(from_number, text, replying_to=replying_to)
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=REGION) if endpoint else boto3.client("sns")
    sns.publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{prefix}-inbound-sms", Message=json.dumps(payload))
    return str(payload["inboundMessageId"])
