"""Messages residents send *to* Hexwatch, for the local stack: what End User Messaging SMS would publish to the
inbound topic when a resident texts the two-way number, and what SES does with an email to a reply address.

AWS publishes each inbound text to the number's TwoWayChannelArn as an SNS message whose body is JSON in this shape
(originationNumber, destinationNumber, messageKeyword, messageBody, inboundMessageId, previousPublishedMessageId).
The local stack has no phone network, so `text_us` publishes the same message to `<prefix>-inbound-sms` on the
emulator, and the event pump hands it to handle_inbound_sms as SNS hands it to Lambda.

The emulator's SES does not receive mail, so `email_us` does what the stack's receipt rule does in AWS: it writes the
raw message to the inbound mail bucket under inbound/ and publishes SES's `Received` notification (with SPF, DKIM,
spam and virus verdicts) to `<prefix>-inbound-mail`, where the pump hands it to handle_inbound_email.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from infra.local.emulator import REGION
from infra.local.stack import ACCOUNT_ID, INBOUND_MAIL_BUCKET_FORMAT, LOCAL_TWO_WAY_NUMBER


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


def reply_mime(from_address: str, to_address: str, text: str, subject: str = "Re: Community alert",
               quoted: str = "", attachments: list[tuple[str, str, bytes]] | None = None) -> bytes:
    """A reply as a mail program writes one: the new text, then "On ... wrote:" and the quoted message."""
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="resident.example")
    body = text
    if quoted:
        body += "\n\nOn Tue, 1 Dec 2026 at 09:00, Community Alerts wrote:\n" + "\n".join(
            f"> {line}" for line in quoted.splitlines())
    message.set_content(body)
    for filename, content_type, data in attachments or []:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def received_notification(prefix: str, bucket: str, key: str, recipients: list[str], message_id: str,
                          sender: str, verdict: str = "PASS") -> dict[str, Any]:
    """SES's notification for a receipt rule's S3 action with a topic (`notificationType: Received`)."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "notificationType": "Received",
        "mail": {"timestamp": now, "source": sender, "messageId": message_id, "destination": recipients,
                 "headersTruncated": False},
        "receipt": {
            "timestamp": now, "processingTimeMillis": 120, "recipients": recipients,
            "spamVerdict": {"status": "PASS"}, "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": verdict}, "dkimVerdict": {"status": verdict},
            "dmarcVerdict": {"status": verdict},
            "action": {"type": "S3", "topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{prefix}-inbound-mail",
                       "bucketName": bucket, "objectKey": key}},
    }


def email_us(prefix: str, raw: bytes, recipients: list[str], sender: str, endpoint: str | None = None,
             verdict: str = "PASS") -> str:
    """What SES does with a message for a reply address: the raw message into the inbound mail bucket under
    inbound/, then the notification to the inbound mail topic. Answers SES's message id."""
    kwargs = {"endpoint_url": endpoint, "region_name": REGION} if endpoint else {}
    message_id = uuid.uuid4().hex
    bucket = INBOUND_MAIL_BUCKET_FORMAT.format(prefix=prefix, account=ACCOUNT_ID)
    key = f"inbound/{message_id}"
    boto3.client("s3", **kwargs).put_object(Bucket=bucket, Key=key, Body=raw)
    notification = received_notification(prefix, bucket, key, recipients, message_id, sender, verdict)
    boto3.client("sns", **kwargs).publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{prefix}-inbound-mail",
                                          Message=json.dumps(notification))
    return message_id
