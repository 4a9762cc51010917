"""A resident's emailed reply to an alert, read from the raw message SES received: who sent it, the new text they
wrote (without the alert they are replying to, their signature or the HTML), and the files they attached, within
limits. Pure: the standard library's `email` package, no AWS here.

Every limit is checked before the work it bounds: a raw message over MAX_RAW_BYTES is not parsed at all, no more than
MAX_PARTS parts are looked at, and the text kept is at most MAX_REPLY_CHARS. What is refused is said, so that the
officer (and the resident, in the acknowledgement) can be told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from .errors import FieldError, invalid

MAX_RAW_BYTES = 10 * 1024 * 1024  # SES accepts up to 40 MB; a witness's photos fit well within this
MAX_PARTS = 50  # MIME parts looked at: a message built to be expensive to walk is cut off here
MAX_REPLY_CHARS = 5_000  # the new text kept; more is cut and said to be
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# What officers may be asked to open: photos, scans and plain text. Anything else (archives, programs, documents
# with macros) is refused and the resident is told how else to send it.
ACCEPTED_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/heic", "image/webp", "application/pdf",
                            "text/plain"})

# Where the history of the conversation starts, as mail programs write it.
_HISTORY_STARTS = (
    re.compile(r"^on\b.{0,300}\bwrote:\s*$", re.IGNORECASE),  # Gmail, Apple Mail, Thunderbird (joined if wrapped)
    re.compile(r"^-{2,}\s*original message\s*-{2,}", re.IGNORECASE),  # Outlook, older
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule above the quoted headers
    re.compile(r"^-{2,}\s*forwarded message\s*-{2,}", re.IGNORECASE),
)
_OUTLOOK_HEADER = re.compile(r"^(from|sent|date|to|subject):\s", re.IGNORECASE)
_SIGNATURE_STARTS = (
    re.compile(r"^--\s?$"),  # the signature delimiter ("-- ")
    re.compile(r"^sent from my \w+", re.IGNORECASE),
    re.compile(r"^get outlook for \w+", re.IGNORECASE),
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class EmailReply:
    sender: str  # the From address, lower-cased: matched against the contacts the alert was delivered to
    recipients: tuple[str, ...]  # To and Cc addresses: the reply address carries the alert's token
    subject: str
    message_id: str
    text: str  # what the resident wrote, without the quoted alert, their signature or HTML
    truncated: bool
    attachments: tuple[Attachment, ...]
    refused: tuple[str, ...]  # why each attachment not kept was refused, in words for the officer and the resident


def parse_reply(raw: bytes) -> EmailReply:
    """The reply in a raw MIME message; 400 (naming `/message`) for one too large, or with no sender."""
    if len(raw) > MAX_RAW_BYTES:
        raise invalid("The message is too large.", FieldError("/message", f"is over {MAX_RAW_BYTES} bytes"))
    try:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
        if "@" not in sender:
            raise invalid("The message has no sender.", FieldError("/message/from", "is missing"))
        recipients = tuple(address.strip().lower() for _, address in
                           getaddresses([str(value) for name in ("To", "Cc") for value in message.get_all(name, [])])
                           if "@" in address)
        body, attachments, refused = _walk(message)
    except RecursionError:
        # Parts nested thousands deep, built to exhaust the parser: no resident's mail program writes that.
        raise invalid("The message is nested too deeply.", FieldError("/message", "is nested too deeply")) from None
    except (IndexError, AttributeError, TypeError, ValueError, LookupError, MessageError):
        # The standard library's header parser raises these on some malformed headers (an address cut short, a
        # defect where it expects a token) instead of recording a defect: a message no mail program sends.
        raise invalid("The message's headers could not be read.",
                      FieldError("/message", "has headers that could not be read")) from None
    text, truncated = new_text(body)
    return EmailReply(sender, recipients, str(message.get("Subject", "")).strip(),
                      str(message.get("Message-ID", "")).strip(), text, truncated, attachments, refused)


def _walk(message: EmailMessage) -> tuple[str, tuple[Attachment, ...], tuple[str, ...]]:
    plain: str | None = None
    html: str | None = None
    kept: list[Attachment] = []
    refused: list[str] = []
    for number, part in enumerate(message.walk()):
        if number >= MAX_PARTS:
            refused.append(f"the message has more than {MAX_PARTS} parts: the rest were not read")
            break
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = part.get_filename()
        if filename is None and part.get_content_disposition() != "attachment" and content_type.startswith("text/"):
            if content_type == "text/plain" and plain is None:
                plain = _text_of(part)
            elif content_type == "text/html" and html is None:
                html = _text_of(part)
            continue
        _keep(part, filename or "attachment", content_type, kept, refused)
    if plain is not None and plain.strip():
        return plain, tuple(kept), tuple(refused)
    return html_to_text(html or ""), tuple(kept), tuple(refused)


def _keep(part: EmailMessage, filename: str, content_type: str, kept: list[Attachment], refused: list[str]) -> None:
    name = filename[-100:]
    if content_type not in ACCEPTED_TYPES:
        refused.append(f"{name}: files of type {content_type} are not accepted")
        return
    if len(kept) >= MAX_ATTACHMENTS:
        refused.append(f"{name}: no more than {MAX_ATTACHMENTS} files are kept from one reply")
        return
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        refused.append(f"{name}: could not be read")
    elif len(data) > MAX_ATTACHMENT_BYTES:
        refused.append(f"{name}: over {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    else:
        kept.append(Attachment(name, content_type, data))


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset: read what can be read
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def new_text(body: str) -> tuple[str, bool]:
    """What the resident wrote above the quoted history and their signature; and whether it was cut at
    MAX_REPLY_CHARS."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        if any(p.match(stripped) or p.match(joined) for p in _HISTORY_STARTS) or _outlook_headers(lines, index):
            break
        if any(p.match(stripped) for p in _SIGNATURE_STARTS):
            break
        if stripped.startswith(">"):
            continue  # a quoted line kept inline
        kept.append(line.rstrip())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    if len(text) > MAX_REPLY_CHARS:
        return text[:MAX_REPLY_CHARS].rstrip(), True
    return text, False


def _outlook_headers(lines: list[str], index: int) -> bool:
    """Outlook quotes with a block of `From:`, `Sent:`, `To:`, `Subject:` lines and no other marker."""
    if not re.match(r"^from:\s", lines[index].strip(), re.IGNORECASE):
        return False
    following = [line.strip() for line in lines[index + 1:index + 5] if line.strip()]
    return sum(1 for line in following if _OUTLOOK_HEADER.match(line)) >= 2


class _HtmlText(HTMLParser):
    """The text of an HTML body: block elements become line breaks; scripts, styles and quoted history are left out."""

    BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table", "ul", "ol"})
    SKIPPED = frozenset({"script", "style", "head", "title", "blockquote"})
    QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted")
    QUOTE_IDS = ("divrplyfwdmsg", "appendonsend")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []  # the open elements whose content is left out
        self._quoted = False  # past the start of the quoted history: nothing after it is the resident's

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").lower()
        if any(name in classes for name in self.QUOTE_CLASSES) or (found.get("id") or "").lower() in self.QUOTE_IDS:
            self._quoted = True
        if tag in self.SKIPPED:
            self._skipping.append(tag)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping and not self._quoted:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html[:MAX_RAW_BYTES])
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"[ \t]+", " ", re.sub(r"\n[ \t]+", "\n", text))
