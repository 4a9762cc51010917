"""A resident's reply to an alert, as the sender's team sees it. Pure: no AWS here.

A reply is found again by the id it was given on arrival. That id is a ULID made from the time the provider received
the message and a digest of the provider's own message id, so the same message delivered twice (SNS retries, a
redriven dead letter) gets the same id, and the store's conditional write keeps one copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from ulid import ULID

REPLY_LINK = "reply"  # the purpose of a resident's signed reply-page token (domain/tokens.py)
REPLY_WINDOW_SECONDS = 90 * 86_400  # an alert may be replied to for 90 days: reply links and addresses then expire
REPLY_RETENTION_SECONDS = 2 * 365 * 86_400  # witness information: kept two years unless an officer keeps it longer
MAX_RESPONSE_CHARS = 1_000  # an officer's answer: one email, or at most seven SMS segments
MAX_RESPONSE_SMS_SEGMENTS = 7


class ReplyChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEB = "web"


class ReplyState(StrEnum):
    UNREAD = "unread"
    HANDLED = "handled"
    ABUSIVE = "abusive"


# The inbox shows unread replies first, then the rest, each newest first.
INBOX_ORDER = (ReplyState.UNREAD, ReplyState.HANDLED, ReplyState.ABUSIVE)


def reply_id(received_at: float, source_id: str) -> str:
    """The same message (same provider id, same arrival time) always gets the same id; ids sort by arrival."""
    digest = hashlib.sha256(source_id.encode()).digest()[:10]
    return str(ULID.from_bytes(int(received_at * 1000).to_bytes(6, "big") + digest))


@dataclass(frozen=True)
class Answer:
    """What an officer sent back, and on which channel."""

    text: str
    by: str  # the officer's sub
    at: str
    channel: str


@dataclass
class Reply:
    organisation: str
    id: str
    alert_id: str
    resident_id: str
    channel: ReplyChannel
    text: str
    received_at: str
    contact_hash: str  # the contact it came from (a keyed hash): where an answer goes back to
    state: ReplyState = ReplyState.UNREAD
    areas: tuple[str, ...] = ()  # the alert's named areas, for the inbox's area filter
    sender: str = ""  # the sub of the officer who sent the alert
    truncated: bool = False
    verdicts: dict[str, str] = field(default_factory=dict)  # email: SES's SPF and DKIM verdicts
    attachments: list[dict[str, object]] = field(default_factory=list)  # name, type, bytes, key (in the mail bucket)
    answers: list[Answer] = field(default_factory=list)
