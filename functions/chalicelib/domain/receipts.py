"""What the providers tell us after a message was handed over: SES events, voice call events and SMS delivery logs.

Pure: no AWS here. Each parser takes the document the provider publishes and answers what the app acts on, never an
exception for a shape it does not know (an event it cannot read is `None` or an empty list, and the worker logs that
it ignored it), so a foreign or malformed event can never make its handler fail again and again.

Three providers, three ways back to the delivery ledger entry:

- **Email** (SES event publishing through the configuration set): each message carries two SES message tags, the
  alert (`alert_id`) and the recipient's ledger key (`ledger_key`, base64url, because tag values may only hold
  `[A-Za-z0-9_-]` and a ledger key holds `#`). The event repeats the tags (`mail.tags`), so the entry is found by
  its primary key, whatever was or was not recorded about the send.
- **Voice** (Pinpoint SMS Voice v2 configuration set events through SNS) and **SMS** (SNS delivery-status logs in
  CloudWatch Logs): these carry the provider's message id (voice events also carry the call's `Context`, with the
  ledger key). The ledger writes a pointer from the provider message id to the entry in the same transaction that
  records the send as `sent` (adapters/ledger.py), and a receipt is looked up through it.

Addresses and numbers are read only where an address must be suppressed (a permanent bounce or a complaint); they
never reach a log line, a ledger item or an error.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ALERT_TAG = "alert_id"
LEDGER_KEY_TAG = "ledger_key"
MAX_TAG_VALUE = 256  # SES: a message tag value is at most 256 characters of [A-Za-z0-9_-]
_TAG_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class Verdict(StrEnum):
    DELIVERED = "delivered"  # the provider says it arrived (email accepted by the mailbox, call answered, SMS handset)
    FAILED = "failed"  # accepted by the provider, then not delivered (rejected, rendering failure, no answer, ...)
    BOUNCED = "bounced"  # email only: the receiving side bounced it
    COMPLAINED = "complained"  # email only: the resident marked it as spam (it had arrived)
    PENDING = "pending"  # not final yet (a delivery delay, a phone ringing): nothing to record


# --- SES message tags --------------------------------------------------------------------------------------------


def encode_tag_value(text: str) -> str:
    """base64url without padding: exactly the characters SES allows in a tag value, and reversible."""
    encoded = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
    if len(encoded) > MAX_TAG_VALUE:
        raise ValueError("tag value too long for SES")
    return encoded


def decode_tag_value(value: str) -> str | None:
    if not value or len(value) > MAX_TAG_VALUE or not set(value) <= _TAG_CHARACTERS:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def is_tag_value(value: str) -> bool:
    return 0 < len(value) <= MAX_TAG_VALUE and set(value) <= _TAG_CHARACTERS


def ledger_tags(key: str) -> dict[str, str]:
    """The per-recipient SES tags of one alert email (the alert's own id is a tag of the whole send)."""
    return {LEDGER_KEY_TAG: encode_tag_value(key)}


# --- SES events ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailFeedback:
    """One SES event or notification, reduced to what the app acts on."""

    verdict: Verdict
    kind: str  # the event's own type: Delivery, Bounce, Complaint, Reject, ...
    message_id: str | None = None
    alert_id: str | None = None
    ledger_key: str | None = None
    # (address, reason) for the suppression list: permanent bounces and complaints only. Never logged.
    suppress: tuple[tuple[str, str], ...] = ()
    detail: str = ""  # a short code for the ledger (bounce type and subtype; no address, no SMTP text)


_FAILED_EMAIL_KINDS = {"Reject": "rejected", "Rendering Failure": "rendering-failure",
                       "RenderingFailure": "rendering-failure"}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first_tag(tags: Mapping[str, Any], name: str) -> str | None:
    values = tags.get(name)
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    if isinstance(values, str):
        return values
    return None


def _recipients(section: Any, field_name: str) -> list[str]:
    if not isinstance(section, Mapping):
        return []
    found = []
    for recipient in section.get(field_name) or []:
        address = recipient.get("emailAddress") if isinstance(recipient, Mapping) else None
        if isinstance(address, str) and address:
            found.append(address)
    return found


def _alert_header(mail: Mapping[str, Any]) -> str | None:
    for header in mail.get("headers") or []:
        if isinstance(header, Mapping) and str(header.get("name", "")).lower() == "x-hexwatch-alert":
            value = header.get("value")
            return str(value) if value else None
    return None


def _short(text: Any) -> str:
    """A provider code fit for the ledger: letters, digits and a few separators, at most 60 characters."""
    return "".join(ch for ch in str(text or "") if ch.isalnum() or ch in "-_.:")[:60]


def parse_ses_event(document: Any) -> EmailFeedback | None:
    """An SES event (configuration-set event publishing: `eventType`) or notification (`notificationType`).

    None for anything else (a foreign message on the topic, SNS's subscription confirmation, a test notification).
    """
    if not isinstance(document, Mapping):
        return None
    kind = document.get("eventType") or document.get("notificationType")
    if not isinstance(kind, str):
        return None
    mail = _mapping(document.get("mail"))
    tags = _mapping(mail.get("tags"))
    message_id = mail.get("messageId") if isinstance(mail.get("messageId"), str) else None
    alert_id = _first_tag(tags, ALERT_TAG) or _alert_header(mail)
    encoded_key = _first_tag(tags, LEDGER_KEY_TAG)
    ledger_key = decode_tag_value(encoded_key) if encoded_key else None
    def feedback(verdict: Verdict, suppress: tuple[tuple[str, str], ...] = (), detail: str = "") -> EmailFeedback:
        return EmailFeedback(verdict, kind, message_id, alert_id, ledger_key, suppress, detail)

    if kind == "Delivery":
        return feedback(Verdict.DELIVERED)
    if kind == "Bounce":
        bounce = _mapping(document.get("bounce"))
        bounce_type = str(bounce.get("bounceType") or "Undetermined")
        detail = f"bounce:{_short(bounce_type)}:{_short(bounce.get('bounceSubType'))}".rstrip(":")
        # Only a permanent bounce suppresses: a transient one (a full mailbox, a message too large) may well work
        # next time, and "Undetermined" is what SES says when it could not tell.
        suppress = tuple((a, "bounced") for a in _recipients(bounce, "bouncedRecipients")) \
            if bounce_type == "Permanent" else ()
        return feedback(Verdict.BOUNCED, suppress, detail)
    if kind == "Complaint":
        complaint = _mapping(document.get("complaint"))
        suppress = tuple((a, "complained") for a in _recipients(complaint, "complainedRecipients"))
        return feedback(Verdict.COMPLAINED, suppress,
                        f"complaint:{_short(complaint.get('complaintFeedbackType'))}".rstrip(":"))
    if kind in _FAILED_EMAIL_KINDS:
        return feedback(Verdict.FAILED, detail=_FAILED_EMAIL_KINDS[kind])
    if kind in ("DeliveryDelay", "Send", "Open", "Click", "Subscription", "AmazonSnsSubscriptionSucceeded"):
        return feedback(Verdict.PENDING)
    return None


# --- voice events (Pinpoint SMS Voice v2 configuration set, SNS destination) ------------------------------------


@dataclass(frozen=True)
class ProviderReceipt:
    """A voice call's or an SMS's final status, keyed by the provider's message id."""

    channel: str  # "voice" or "sms"
    message_id: str
    verdict: Verdict
    detail: str = ""  # the provider's status code (no number, no free text)
    ledger_key: str | None = None  # what the call's Context carried, when it did


# VOICE_INITIATED, VOICE_RINGING and VOICE_ANSWERED come first and are not final; the others end the call.
VOICE_FINAL = {
    "VOICE_COMPLETED": Verdict.DELIVERED,  # answered and played to the end (or to a voicemail)
    "VOICE_BUSY": Verdict.FAILED,
    "VOICE_NO_ANSWER": Verdict.FAILED,
    "VOICE_FAILED": Verdict.FAILED,
    "VOICE_TTL_EXPIRED": Verdict.FAILED,
}


def parse_voice_event(document: Any) -> ProviderReceipt | None:
    """A voice event as the configuration set's SNS destination publishes it:
    `{"eventType": "VOICE_COMPLETED", "messageId": ..., "messageStatus": "COMPLETED", "isFinal": true,
    "context": {"key": ...}, ...}`. None for another kind of event or a shape it does not know."""
    if not isinstance(document, Mapping):
        return None
    event_type, message_id = document.get("eventType"), document.get("messageId")
    if not isinstance(event_type, str) or not event_type.startswith("VOICE_") or not isinstance(message_id, str):
        return None
    context = _mapping(document.get("context"))
    key = context.get("key") if isinstance(context.get("key"), str) else None
    verdict = VOICE_FINAL.get(event_type, Verdict.PENDING)
    detail = _short(document.get("messageStatus") or event_type)
    return ProviderReceipt("voice", message_id, verdict, detail, key)


# --- SMS delivery-status logs (SNS -> CloudWatch Logs -> subscription filter -> Lambda) -------------------------


def decode_logs_payload(event: Any) -> dict[str, Any] | None:
    """The CloudWatch Logs subscription payload: `{"awslogs": {"data": base64(gzip(JSON))}}`, decoded."""
    data = _mapping(_mapping(event).get("awslogs")).get("data")
    if not isinstance(data, str):
        return None
    try:
        decoded = json.loads(gzip.decompress(base64.b64decode(data, validate=True)))
    except (binascii.Error, OSError, EOFError, ValueError, zlib.error):
        return None
    return decoded if isinstance(decoded, dict) else None


def parse_sms_delivery_record(message: Any) -> ProviderReceipt | None:
    """One SNS SMS delivery-status record (a log event's message): `{"notification": {"messageId": ...},
    "delivery": {"destination": ..., "providerResponse": ..., ...}, "status": "SUCCESS" | "FAILURE"}`.

    The destination (the phone number) is never read.
    """
    try:
        record = json.loads(message) if isinstance(message, str) else message
    except ValueError:
        return None
    if not isinstance(record, Mapping):
        return None
    notification = _mapping(record.get("notification"))
    message_id, status = notification.get("messageId"), record.get("status")
    if not isinstance(message_id, str) or status not in ("SUCCESS", "FAILURE"):
        return None
    verdict = Verdict.DELIVERED if status == "SUCCESS" else Verdict.FAILED
    return ProviderReceipt("sms", message_id, verdict, _short(status))


@dataclass(frozen=True)
class SmsLogBatch:
    receipts: list[ProviderReceipt]
    unreadable: int  # log events that were not a delivery record (counted, never logged: they may hold a number)
    control: bool = False  # CloudWatch Logs' CONTROL_MESSAGE, sent to check that the destination is reachable


def parse_sms_logs(event: Any) -> SmsLogBatch | None:
    """Every delivery record of one subscription invocation; None when the event is not a logs payload."""
    payload = decode_logs_payload(event)
    if payload is None:
        return None
    if payload.get("messageType") == "CONTROL_MESSAGE":
        return SmsLogBatch([], 0, control=True)
    receipts: list[ProviderReceipt] = []
    unreadable = 0
    log_events = payload.get("logEvents")
    for log_event in log_events if isinstance(log_events, list) else []:
        receipt = parse_sms_delivery_record(log_event.get("message") if isinstance(log_event, Mapping) else None)
        if receipt is None:
            unreadable += 1
        else:
            receipts.append(receipt)
    return SmsLogBatch(receipts, unreadable)
