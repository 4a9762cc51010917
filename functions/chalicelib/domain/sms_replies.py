"""What a resident's text message to the alerts number asks for. Pure: no AWS here.

The opt-out words are the ones UK operators and AWS treat as opting out (STOP, STOPALL, UNSUBSCRIBE, END, CANCEL),
and START opts back in. They count only as the whole message, in any case, with spaces and a closing full stop or
exclamation mark allowed: "Stop" opts out, "stop the van on Mill Lane" is a reply for the officer. A bare number is
an answer to the alert's survey, if it has one. Anything else is a reply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "CANCEL"})
OPT_IN_WORDS = frozenset({"START"})
MAX_SMS_REPLY_CHARS = 1_600  # ten concatenated parts: longer is cut and said to be
MAX_OPTION = 6  # surveys offer 2 to 6 options
MAX_PAYLOAD_CHARS = 16_384  # an inbound payload's JSON: the body's 1,600 characters and a few ids fit many times over
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9/+=_.:-]{1,200}$")


class SmsIntent(Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    ANSWER = "answer"  # a survey option's number
    REPLY = "reply"


@dataclass(frozen=True)
class InboundSms:
    intent: SmsIntent
    text: str  # the message as the resident wrote it (trimmed, at most MAX_SMS_REPLY_CHARS)
    option: int | None = None  # for ANSWER
    truncated: bool = False


def read_sms(body: str) -> InboundSms:
    text = body.strip()
    truncated = len(text) > MAX_SMS_REPLY_CHARS
    text = text[:MAX_SMS_REPLY_CHARS]
    word = re.sub(r"[.!\s]+$", "", text).strip().upper()
    if word in OPT_OUT_WORDS:
        return InboundSms(SmsIntent.OPT_OUT, text)
    if word in OPT_IN_WORDS:
        return InboundSms(SmsIntent.OPT_IN, text)
    if re.fullmatch(r"[1-9]", word) and int(word) <= MAX_OPTION:
        return InboundSms(SmsIntent.ANSWER, text, option=int(word))
    return InboundSms(SmsIntent.REPLY, text, truncated=truncated)


@dataclass(frozen=True)
class InboundSmsEvent:
    """One text message a resident sent to our number, as the provider hands it to the SNS topic."""

    from_number: str  # E.164: whose number it is (looked up by its keyed hash, never logged)
    to_number: str  # our number it was sent to
    message_id: str  # the provider's id: a message delivered twice is handled once
    replying_to: str | None  # the provider's id of our message they answered, when it knows it
    sms: InboundSms


def parse_inbound_payload(message: str) -> InboundSmsEvent:
    """The two-way SMS payload (AWS End User Messaging SMS: originationNumber, destinationNumber, messageBody,
    inboundMessageId, previousPublishedMessageId); ValueError naming the field for anything else."""
    if len(message) > MAX_PAYLOAD_CHARS:
        raise ValueError("inbound SMS payload is too large")
    try:
        payload: Any = json.loads(message)
    except (ValueError, RecursionError):
        raise ValueError("inbound SMS payload is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("inbound SMS payload is not an object")

    def text(name: str, shape: re.Pattern[str] | None = None, required: bool = True) -> str | None:
        value = payload.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (shape is not None and not shape.fullmatch(value)):
            raise ValueError(f"inbound SMS field {name!r} is missing or malformed")
        return value

    body = text("messageBody")
    return InboundSmsEvent(str(text("originationNumber", _E164)), str(text("destinationNumber", _E164)),
                           str(text("inboundMessageId", _MESSAGE_ID)),
                           text("previousPublishedMessageId", _MESSAGE_ID, required=False), read_sms(str(body)))


# --- opting out and back in -------------------------------------------------------------------------------------------

SMS_STOPPED = "sms_stopped"  # the suppression reason a STOP leaves: SMS only, calls to the number go on
SMS_STARTED = "sms_started"  # a START honoured: nothing is suppressed, but when is remembered (the 30-day rule)
OPT_IN_INTERVAL_SECONDS = 30 * 86_400  # the provider opts a number back in at most once in 30 days


def next_opt_in(last_opt_in: float | None, now: float) -> float | None:
    """None when a START may be honoured now, else the time from which it may."""
    if last_opt_in is None or now >= last_opt_in + OPT_IN_INTERVAL_SECONDS:
        return None
    return last_opt_in + OPT_IN_INTERVAL_SECONDS


def stopped_text(sender_name: str) -> str:
    return (f"{sender_name}: you will get no more text alerts on this number. Calls and emails you chose go on. "
            f"Text START to get them again.")


def started_text(sender_name: str) -> str:
    return f"{sender_name}: text alerts are on again for this number. Text STOP to end them."


def start_too_soon_text(sender_name: str, resume_day: str) -> str:
    return (f"{sender_name}: this number was turned back on less than 30 days ago, and can be again from "
            f"{resume_day}. Text START then.")


def not_signed_up_text(sender_name: str, site_url: str) -> str:
    return f"{sender_name}: this number is not signed up for alerts. Sign up at {site_url}"
