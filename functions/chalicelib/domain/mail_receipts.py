"""SES's notification that it received an email and stored it in S3 (a receipt rule's S3 action with a topic). Pure.

The notification carries the envelope (who SES accepted it for), SES's verdicts on the sender (SPF, DKIM) and content
(spam, virus), and where the raw message is. The handler reads the raw message itself: the notification's own copy of
the headers is not the message, and the body is not in it at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_NOTIFICATION_CHARS = 256 * 1024  # SNS's own limit on a message
MAX_RECIPIENTS = 50  # SES delivers a message to at most 50 recipients per rule
_KEY = re.compile(r"^[\w!\-.*'()/]{1,1024}$")
VERDICTS = ("spf", "dkim", "spam", "virus")


@dataclass(frozen=True)
class MailReceipt:
    message_id: str  # SES's id for the message: a redelivered notification has the same
    received_at: float
    recipients: tuple[str, ...]  # the envelope's recipients that this rule accepted
    bucket: str
    key: str
    verdicts: dict[str, str]  # spf, dkim, spam, virus: PASS, FAIL, GRAY or PROCESSING_FAILED

    @property
    def sender_verified(self) -> bool:
        """SES saw the sender's domain vouch for it (SPF or DKIM passed): a forged From is unlikely."""
        return "PASS" in (self.verdicts.get("spf"), self.verdicts.get("dkim"))

    @property
    def harmful(self) -> bool:
        return self.verdicts.get("virus") == "FAIL" or self.verdicts.get("spam") == "FAIL"


def parse_receipt(message: str) -> MailReceipt | None:
    """The receipt in an SNS message from the inbound mail topic; None for anything else (SNS's own subscription
    confirmation, a notification of another type); ValueError naming the field when a Received one is malformed."""
    if len(message) > MAX_NOTIFICATION_CHARS:
        raise ValueError("inbound mail notification is too large")
    try:
        document: Any = json.loads(message)
    except (ValueError, RecursionError):
        raise ValueError("inbound mail notification is not JSON") from None
    if not isinstance(document, dict) or document.get("notificationType") != "Received":
        return None
    mail, receipt = document.get("mail"), document.get("receipt")
    if not isinstance(mail, dict) or not isinstance(receipt, dict):
        raise ValueError("inbound mail notification has no mail or receipt")
    action = receipt.get("action")
    if not isinstance(action, dict) or action.get("type") != "S3":
        raise ValueError("inbound mail field 'receipt.action' is not an S3 action")
    bucket, key = action.get("bucketName"), action.get("objectKey")
    if not isinstance(bucket, str) or not isinstance(key, str) or not _KEY.match(key):
        raise ValueError("inbound mail field 'receipt.action.objectKey' is missing or malformed")
    recipients = receipt.get("recipients")
    if not isinstance(recipients, list) or not recipients or len(recipients) > MAX_RECIPIENTS \
            or not all(isinstance(r, str) and len(r) <= 320 for r in recipients):
        raise ValueError("inbound mail field 'receipt.recipients' is missing or malformed")
    message_id = mail.get("messageId")
    if not isinstance(message_id, str) or not 1 <= len(message_id) <= 200:
        raise ValueError("inbound mail field 'mail.messageId' is missing or malformed")
    try:
        received_at = datetime.fromisoformat(str(mail.get("timestamp")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ValueError("inbound mail field 'mail.timestamp' is missing or malformed") from None
    verdicts = {}
    for name in VERDICTS:
        verdict = receipt.get(f"{name}Verdict")
        status = verdict.get("status") if isinstance(verdict, dict) else None
        verdicts[name] = str(status)[:20] if status else "MISSING"
    return MailReceipt(message_id, received_at, tuple(r.strip().lower() for r in recipients), bucket, key, verdicts)
