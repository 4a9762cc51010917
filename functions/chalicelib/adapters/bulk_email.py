"""Sending one alert's email to many residents: SESv2 `SendBulkEmail` in production, one raw send each locally.

An alert can go to tens of thousands of residents. `SendBulkEmail` takes up to 50 destinations per call, with the
subject and bodies once (an inline template whose `{{name}}` placeholders each entry's data fills) and each resident's
own List-Unsubscribe headers as replacement headers, so a large alert costs a fiftieth of the calls that one
`SendEmail` per resident would.

moto (the local emulator) has no `SendBulkEmail`, so the local stack uses `LocalEmailSender`: it fills the
placeholders itself (`fill_placeholders`, what SES does) and sends each resident a raw MIME message through
adapters/messaging.py's `SesEmailSender` (the one `SendEmail` sender, the transactional messages' too), which moto
stores with every header, for infra/local/outbox.py to show.

Both answer one `SendResult` per recipient, in the recipients' order, and neither logs an address or puts one into an
error: errors are provider codes and statuses only (SES's own per-entry `Error` text is not used, as it may quote
an address). adapters/provider_errors.py sorts both the exceptions and the per-entry statuses.

Every message names the configuration set (`ConfigurationSetName`), whose event destination publishes its bounces,
complaints, deliveries and rejections to the SES events topic, and carries SES message tags that lead back to its
delivery-ledger entry: the content's tags (`alert_id`) and the recipient's `ledger_key` (domain/receipts.py). In a bulk
send each entry's `ReplacementTags` holds the whole set, so the tags are right whether SES adds them to the default
tags or uses them instead (no `DefaultEmailTags` is sent, so no name is ever given twice).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.utils import formataddr
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.delivery import EmailContent, EmailRecipient, Outcome, SendResult, fill_placeholders
from ..domain.messages import RenderedEmail
from ..domain.receipts import ledger_tags
from .messaging import SesEmailSender
from .provider_errors import Provider, classify, classify_code

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
else:
    SESV2Client = Any

MAX_BULK_ENTRIES = 50  # SendBulkEmail's limit on BulkEmailEntries per call

SUCCESS = "SUCCESS"  # the one per-entry status that is not an error (the others are in provider_errors.SES)

# An entry SES answered nothing for (fewer results than entries, or a result without a Status). SES may have sent
# it, so it must never be sent again automatically (a resident would get the alert twice); it is recorded as a
# permanent failure, which the ledger shows as failed for an operator to check.
MISSING_RESULT = "missing-result"


def _name_values(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in headers.items()]


def message_tags(content: EmailContent, recipient: EmailRecipient) -> list[dict[str, str]]:
    """The SES message tags of one recipient's message: the content's (the alert) and the recipient's ledger key."""
    return _name_values({**content.tags, **ledger_tags(recipient.key)})


def _entry_result(recipient: EmailRecipient, entry: dict[str, Any] | None) -> SendResult:
    status = (entry or {}).get("Status")
    if not status:
        return SendResult(recipient.key, Outcome.PERMANENT, error=MISSING_RESULT)
    if status == SUCCESS:
        return SendResult(recipient.key, Outcome.ACCEPTED, provider_id=entry.get("MessageId") if entry else None)
    # Each entry on its own, even ACCOUNT_THROTTLED: SES has answered for the whole chunk already.
    return SendResult(recipient.key, classify_code(str(status), Provider.SES).outcome, error=str(status))


class SesBulkEmailSender:
    """Production: SESv2 `SendBulkEmail`, at most 50 recipients per call, with inline template content."""

    def __init__(self, client: SESV2Client, sender: str, sender_name: str = "Community Alerts",
                 configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._sender_name = sender_name
        self._configuration_set = configuration_set

    def send(self, content: EmailContent, recipients: Sequence[EmailRecipient]) -> list[SendResult]:
        results: list[SendResult] = []
        for start in range(0, len(recipients), MAX_BULK_ENTRIES):
            chunk = recipients[start:start + MAX_BULK_ENTRIES]
            try:
                response = self._client.send_bulk_email(**self._request(content, chunk))
            except (BotoCoreError, ClientError) as error:
                found = classify(error, Provider.SES)
                if found.outcome.retried:
                    # Throttled, 5xx, unreachable or out of quota: stop here and leave this chunk and every later one
                    # to the retry through SQS. Hammering a throttled provider with the remaining chunks only makes
                    # it worse.
                    return results + [SendResult(r.key, found.outcome, error=found.code) for r in recipients[start:]]
                # Refused for good (a bad request): the later chunks are different residents, so still try them.
                results.extend(SendResult(r.key, found.outcome, error=found.code) for r in chunk)
                continue
            entries = list(response.get("BulkEmailEntryResults") or [])
            # Results come back in the order of the entries.
            results.extend(
                _entry_result(recipient, entries[index] if index < len(entries) else None)
                for index, recipient in enumerate(chunk)
            )
        return results

    def _request(self, content: EmailContent, chunk: Sequence[EmailRecipient]) -> dict[str, Any]:
        template: dict[str, Any] = {
            "TemplateContent": {"Subject": content.subject, "Text": content.text, "Html": content.html},
            "TemplateData": "{}",
        }
        if content.headers:
            template["Headers"] = _name_values(content.headers)
        if content.attachments:
            template["Attachments"] = [{"RawContent": data, "FileName": filename, "ContentType": content_type,
                                        "ContentDisposition": "ATTACHMENT"}
                                       for filename, content_type, data in content.attachments]
        entries: list[dict[str, Any]] = []
        for recipient in chunk:
            entry: dict[str, Any] = {
                "Destination": {"ToAddresses": [recipient.address]},
                "ReplacementTags": message_tags(content, recipient),
                "ReplacementEmailContent": {
                    "ReplacementTemplate": {"ReplacementTemplateData": json.dumps(recipient.data)}
                },
            }
            if recipient.headers:
                # A replacement header replaces the template's header of the same name, or is added.
                entry["ReplacementHeaders"] = _name_values(recipient.headers)
            entries.append(entry)
        request: dict[str, Any] = {
            "FromEmailAddress": formataddr((self._sender_name, self._sender)),
            "DefaultContent": {"Template": template},
            "BulkEmailEntries": entries,
        }
        if content.reply_to:
            request["ReplyToAddresses"] = [content.reply_to]
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return request


class LocalEmailSender:
    """The local stack: each recipient's message rendered here and sent raw through `SendEmail`, one call each.

    It keeps every header (List-Unsubscribe included) where moto stores it, and answers results the way
    `SesBulkEmailSender` does, stopping at the first retryable error. The request is `SesEmailSender`'s (the
    transactional messages' sender) with the message's tags added; this class only renders and sorts results.
    """

    def __init__(self, client: SESV2Client, sender: str, sender_name: str = "Community Alerts",
                 configuration_set: str | None = None, single: SesEmailSender | None = None) -> None:
        self._single = single or SesEmailSender(client, sender, sender_name, configuration_set)

    def send(self, content: EmailContent, recipients: Sequence[EmailRecipient]) -> list[SendResult]:
        results: list[SendResult] = []
        for index, recipient in enumerate(recipients):
            try:
                message_id = self._send_one(content, recipient)
            except (BotoCoreError, ClientError) as error:
                found = classify(error, Provider.SES)
                if found.outcome.retried:
                    # As for the bulk sender: leave the rest to the retry rather than hammer a throttled provider.
                    return results + [SendResult(r.key, found.outcome, error=found.code) for r in recipients[index:]]
                results.append(SendResult(recipient.key, found.outcome, error=found.code))
                continue
            results.append(SendResult(recipient.key, Outcome.ACCEPTED, provider_id=message_id))
        return results

    def render(self, content: EmailContent, recipient: EmailRecipient) -> RenderedEmail:
        """What SES would make of the bulk request for this recipient."""
        headers = {**content.headers, **recipient.headers}
        if content.reply_to:
            headers["Reply-To"] = content.reply_to
        return RenderedEmail(
            subject=fill_placeholders(content.subject, recipient.data),
            text=fill_placeholders(content.text, recipient.data),
            html=fill_placeholders(content.html, recipient.data),
            headers=headers,
            attachments=content.attachments,
        )

    def _send_one(self, content: EmailContent, recipient: EmailRecipient) -> str:
        return self._single.send(recipient.address, self.render(content, recipient),
                                 tags=message_tags(content, recipient))
