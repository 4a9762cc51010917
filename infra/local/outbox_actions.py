"""What the local outbox lets a developer do besides read: narrow the list, and answer a message as the resident would.

- Filters (`/outbox/?channel=sms&to=+4477...&alert=01J...`, and the same on `/outbox.json`): by channel, by recipient
  (an address, a number or a resident id, matched exactly), and by alert (its id in the message's headers, text or
  links).
- Emailing us: `POST /outbox/email` with `{"from": "<the resident's address>", "to": "<the alert's Reply-To>",
  "text": "..."}` builds the reply a mail program would (new text above the quoted alert), writes it to the inbound
  mail bucket and publishes SES's `Received` notification, as the stack's receipt rule does in AWS.
- Texting us: `POST /outbox/sms` with `{"from": "+447700900123", "text": "STOP"}` (JSON, or the page's form) publishes
  an inbound text in End User Messaging SMS's two-way shape to the stack's inbound topic (infra/local/inbound.py); the
  event pump hands it to handle_inbound_sms, as SNS hands it to Lambda in AWS.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from infra.local.inbound import email_us, reply_mime, text_us
from infra.local.outbox import Message

FILTERS = ("channel", "to", "alert")
MAX_TEXT_CHARS = 1_600
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_ADDRESS = re.compile(r"^[^@\s<>]{1,64}@[^@\s<>]{1,255}$")


def filter_messages(messages: list[Message], query: str) -> list[Message]:
    wanted = {name: values[0] for name, values in parse_qs(query).items() if name in FILTERS and values}
    found = []
    for message in messages:
        if "channel" in wanted and message.get("channel") != wanted["channel"]:
            continue
        if "to" in wanted and wanted["to"] not in (message.get("to") or []):
            continue
        if "alert" in wanted:
            haystack = json.dumps([message.get("headers"), message.get("text"), message.get("links")])
            if wanted["alert"] not in haystack:
                continue
        found.append(message)
    return found


def _fields(body: bytes, content_type: str) -> Mapping[str, Any] | None:
    if content_type.startswith("application/json"):
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else {}
    return {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace")).items()}


NOT_JSON = {"message": "The body is not JSON.", "errors": [{"pointer": "", "message": "not JSON"}]}


def email_us_from_request(body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    """(status, answer) for a POST /outbox/email body; 400 naming the field for bad input."""
    fields = _fields(body, content_type)
    if fields is None:
        return 400, NOT_JSON
    for name in ("from", "to"):
        value = fields.get(name)
        if not isinstance(value, str) or not _ADDRESS.match(value.strip()):
            return 400, {"message": "Give both email addresses.",
                         "errors": [{"pointer": f"/{name}", "message": "must be an email address"}]}
    text = fields.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 10 * MAX_TEXT_CHARS:
        return 400, {"message": "Give the text the resident writes.",
                     "errors": [{"pointer": "/text", "message": f"must be 1 to {10 * MAX_TEXT_CHARS} characters"}]}
    sender, to = str(fields["from"]).strip(), str(fields["to"]).strip()
    raw = reply_mime(sender, to, text, quoted=str(fields.get("quoted") or "")[:20_000])
    message_id = email_us(os.environ.get("HEXWATCH_PREFIX", "hexwatch"), raw, [to.lower()], sender)
    return 202, {"messageId": message_id}


def text_us_from_request(body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    """(status, answer) for a POST /outbox/sms body; 400 naming the field for bad input."""
    fields = _fields(body, content_type)
    if fields is None:
        return 400, NOT_JSON
    number, text = fields.get("from"), fields.get("text")
    if not isinstance(number, str) or not _E164.match(number.strip()):
        return 400, {"message": "Give the resident's number in international form.",
                     "errors": [{"pointer": "/from", "message": "must be a number like +447700900123"}]}
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
        return 400, {"message": "Give the text the resident sends.",
                     "errors": [{"pointer": "/text", "message": f"must be 1 to {MAX_TEXT_CHARS} characters"}]}
    message_id = text_us(os.environ.get("HEXWATCH_PREFIX", "hexwatch"), number.strip(), text)
    return 202, {"inboundMessageId": message_id}


def text_us_form(number: str = "", index: int = 0) -> str:
    """A form that texts the alerts number as a resident (prefilled with the number an SMS went to); `index` keeps
    the ids of the page's forms apart."""
    value = html.escape(number, quote=True)
    suffix = f"{index}-" + (re.sub(r"\W", "", number) or "any")
    return (f'<form method="post" action="/outbox/sms" class="reply">'
            f'<label for="from-{suffix}">From</label> <input id="from-{suffix}" name="from" value="{value}" '
            f'required pattern="\\+[1-9][0-9]{{6,14}}"> '
            f'<label for="text-{suffix}">Text</label> <input id="text-{suffix}" name="text" required '
            f'maxlength="{MAX_TEXT_CHARS}"> <button type="submit">Text the alerts number</button></form>')


def email_us_form(sender: str, to: str, quoted: str, index: int = 0) -> str:
    """A form that replies to an alert email as the resident it went to."""
    suffix = f"{index}-" + (re.sub(r"\W", "", sender)[:40] or "any")
    return (f'<form method="post" action="/outbox/email" class="reply">'
            f'<input type="hidden" name="from" value="{html.escape(sender, quote=True)}">'
            f'<input type="hidden" name="to" value="{html.escape(to, quote=True)}">'
            f'<input type="hidden" name="quoted" value="{html.escape(quoted[:2000], quote=True)}">'
            f'<label for="reply-{suffix}">Reply from {html.escape(sender)}</label> '
            f'<input id="reply-{suffix}" name="text" required> <button type="submit">Send the reply</button></form>')
