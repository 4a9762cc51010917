"""What one provider call is asked to deliver, and what came of it for each recipient. Pure: no AWS here.

The channel adapters (adapters/bulk_email.py, adapters/voice.py, adapters/push.py, adapters/messaging.py's SMS
sender) take these and answer one `SendResult` per recipient, so the delivery service records every outcome in the
ledger the same way whatever the provider. A provider call that fails as a whole (throttled, 5xx, timeout) answers a
result per recipient too: the service never has to know which exception each SDK raises (adapters/provider_errors.py
sorts them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # the provider took it; it may still bounce later
    RETRYABLE = "retryable"  # throttled, 5xx, timeout: send again later, through SQS
    PERMANENT = "permanent"  # refused for good (invalid number, disabled endpoint): recorded as failed
    # The account may not send for now (sending paused, daily quota or spend limit reached): no recipient's fault.
    # The delivery service retries it as it does RETRYABLE; parking the alert belongs to the pipeline rebuild.
    QUOTA = "quota"

    @property
    def retried(self) -> bool:
        """Left queued for a later attempt rather than recorded (RETRYABLE and, for now, QUOTA)."""
        return self in (Outcome.RETRYABLE, Outcome.QUOTA)


@dataclass(frozen=True)
class SendResult:
    key: str  # the recipient's ledger key, e.g. "email#01J..."
    outcome: Outcome
    provider_id: str | None = None  # the provider's message id when accepted
    error: str | None = None  # a short code for the log and the ledger (never an address)


@dataclass(frozen=True)
class EmailContent:
    """One alert's email in one language, shared by every recipient of a bulk call.

    `subject`, `text` and `html` may hold `{{name}}` placeholders that each recipient's `data` fills (SES template
    syntax); officer-written text never contains "{{", because rendering breaks it up.
    """

    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)  # the same for every recipient
    reply_to: str | None = None  # an address that identifies the alert, so that replies find it
    tags: dict[str, str] = field(default_factory=dict)  # SES message tags, e.g. {"alert_id": "01J..."}
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, content type, bytes): an event's .ics


@dataclass(frozen=True)
class EmailRecipient:
    key: str
    address: str
    data: dict[str, str] = field(default_factory=dict)  # placeholder values, e.g. {"unsubscribe_url": ...}
    headers: dict[str, str] = field(default_factory=dict)  # per recipient: List-Unsubscribe, List-Unsubscribe-Post


@dataclass(frozen=True)
class SmsMessage:
    key: str
    to: str  # E.164
    text: str


@dataclass(frozen=True)
class VoiceCall:
    key: str
    to: str  # E.164
    text: str  # what the call says, read by a neural voice
    language: str  # the resident's language code (en, cy, pl, ...)


@dataclass(frozen=True)
class PushMessage:
    key: str
    endpoint_arn: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)  # e.g. {"alert_id": ..., "url": ...}


def fill_placeholders(template: str, data: dict[str, str]) -> str:
    """What SES does with a template's `{{name}}` placeholders, for the local adapter that sends rendered mail."""
    for name, value in data.items():
        template = template.replace("{{" + name + "}}", value)
    return template
