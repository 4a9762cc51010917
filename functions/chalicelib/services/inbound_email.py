"""Emailed replies: SES received a message for a reply address, stored it in S3 and notified us.

A reply is kept only when all of these hold; otherwise it is dropped with a metric saying why, and nothing is sent
back (answering unknown senders would let anyone make us mail anyone):
- SES found no virus and did not judge it spam;
- one of its recipients is a reply address whose tag is ours (domain/reply_addresses.py): "forged" or "malformed"
  otherwise, and "expired" for an alert older than REPLY_WINDOW_SECONDS;
- the raw message is within the size limit and readable (domain/email_replies.py);
- its From address is a contact the alert reached by email, found through the ledger's by-contact index.

SES's SPF, DKIM, spam and virus verdicts are kept with the reply, with `sender_verified` (SPF or DKIM passed), so an
officer can weigh a reply whose sender the mail system could not vouch for. Attachments within the limits are kept
in the bucket under `attachments/<reply id>/`; the reasons others were refused are kept with the reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from ..domain.contacts import ContactHasher, normalise_email
from ..domain.email_replies import MAX_RAW_BYTES, parse_reply
from ..domain.errors import HexwatchError
from ..domain.mail_receipts import MailReceipt
from ..domain.replies import REPLY_RETENTION_SECONDS, REPLY_WINDOW_SECONDS, Reply, ReplyChannel, reply_id
from ..domain.reply_addresses import alert_of
from ..domain.tokens import TokenError, TokenSigner
from .replies import reply_context


def _safe_name(filename: str) -> str:
    return re.sub(r"[^\w.-]", "_", filename)[:100] or "attachment"


class InboundEmailService:
    def __init__(self, *, hasher: Callable[[], ContactHasher], signer: TokenSigner, mail: Any, ledger: Any,
                 replies: Any, alerts: Any, metric: Callable[[str], None], clock: Callable[[], float]) -> None:
        self._hasher = hasher  # the contact-hash key is read on first use
        self._signer = signer
        self._mail = mail
        self._ledger = ledger
        self._replies = replies
        self._alerts = alerts
        self._metric = metric
        self._clock = clock

    def _drop(self, why: str) -> str:
        self._metric(f"RepliesDropped{why.title().replace('-', '')}")
        return why

    def handle(self, receipt: MailReceipt) -> str:
        if receipt.bucket != self._mail.bucket:
            return self._drop("foreign-bucket")
        if receipt.harmful:
            return self._drop("harmful")
        alert_id, refusal = None, "no-reply-address"
        for recipient in receipt.recipients:
            try:
                alert_id = alert_of(recipient, self._signer)
                break
            except TokenError as error:
                refusal = str(error)  # "malformed" or "forged"
        if alert_id is None:
            return self._drop(refusal)
        if self._clock() - ULID.from_str(alert_id).timestamp > REPLY_WINDOW_SECONDS:
            return self._drop("expired")
        raw = self._mail.read(receipt.key, MAX_RAW_BYTES)
        if raw is None:
            return self._drop("too-large")
        try:
            email = parse_reply(raw)
            contact_hash = self._hasher().hash(normalise_email(email.sender))
        except HexwatchError:
            return self._drop("unreadable")
        resident_id = self._ledger.reached_by_contact(contact_hash, alert_id, "email")
        if resident_id is None:
            return self._drop("not-a-recipient")
        context = reply_context(self._ledger, self._alerts, alert_id)
        if context is None:
            return self._drop("unknown-alert")
        new_id = reply_id(receipt.received_at, f"email:{receipt.message_id}")
        attachments: list[dict[str, object]] = []
        for index, attachment in enumerate(email.attachments):
            key = f"attachments/{new_id}/{index}-{_safe_name(attachment.filename)}"
            self._mail.keep(key, attachment)
            attachments.append({"name": attachment.filename, "type": attachment.content_type,
                                "bytes": attachment.size, "key": key})
        attachments.extend({"refused": reason} for reason in email.refused)
        reply = Reply(
            organisation=context.organisation, id=new_id, alert_id=alert_id, resident_id=resident_id,
            channel=ReplyChannel.EMAIL, text=email.text, contact_hash=contact_hash, areas=context.areas,
            received_at=datetime.fromtimestamp(receipt.received_at, UTC).isoformat(timespec="seconds"),
            sender=context.sender, truncated=email.truncated, attachments=attachments,
            verdicts={**receipt.verdicts, "sender_verified": "yes" if receipt.sender_verified else "no"})
        stored = self._replies.add(reply, int(receipt.received_at) + REPLY_RETENTION_SECONDS)
        self._metric("RepliesReceived")
        return "reply-stored" if stored else "reply-duplicate"
