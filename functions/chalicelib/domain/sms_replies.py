"""What a resident's text message to the alerts number asks for. Pure: no AWS here.

The opt-out words are the ones UK operators and AWS treat as opting out (STOP, STOPALL, UNSUBSCRIBE, END, CANCEL),
and START opts back in. They count only as the whole message, in any case, with spaces and a closing full stop or
exclamation mark allowed: "Stop" opts out, "stop the van on Mill Lane" is a reply for the officer. A bare number is
an answer to the alert's survey, if it has one. Anything else is a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "CANCEL"})
OPT_IN_WORDS = frozenset({"START"})
MAX_SMS_REPLY_CHARS = 1_600  # ten concatenated parts: longer is cut and said to be
MAX_OPTION = 6  # surveys offer 2 to 6 options


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
