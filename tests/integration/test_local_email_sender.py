"""The local bulk email adapter against the emulator: one message per resident, with their own links and headers."""

from __future__ import annotations

import os
import uuid

import boto3

from chalicelib.adapters.bulk_email import LocalEmailSender
from chalicelib.domain.delivery import EmailContent, EmailRecipient, Outcome
from infra.local.outbox import list_messages
from infra.local.testing import EmulatorStack

API = "https://api.hexwatch.example"


def test_each_recipient_gets_their_own_unsubscribe_link_and_headers_once(emulator: EmulatorStack) -> None:
    run = uuid.uuid4().hex[:8]  # unique addresses, so other tests' messages in the same emulator do not count
    recipients = [
        EmailRecipient(
            key=f"email#{run}-{n}",
            address=f"resident-{n}-{run}@hexwatch.example",
            data={"name": f"Resident {n}", "unsubscribe_url": f"{API}/v1/unsubscribe?token={run}{n}"},
            headers={
                "List-Unsubscribe": f"<{API}/v1/unsubscribe?token={run}{n}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        for n in (1, 2)
    ]
    content = EmailContent(
        subject="Burglary in Stafford, {{name}}",
        text="Lock your doors.\n\nUnsubscribe: {{unsubscribe_url}}",
        html='<p>Lock your doors.</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>',
        headers={"X-Hexwatch-Alert": run},
        reply_to=f"alert-{run}@hexwatch.example",
        tags={"alert_id": run},
    )
    sender = LocalEmailSender(boto3.client("sesv2"), os.environ["HEXWATCH_SENDER_EMAIL"])

    results = sender.send(content, recipients)

    assert [result.key for result in results] == [recipient.key for recipient in recipients]
    assert all(result.outcome is Outcome.ACCEPTED and result.provider_id for result in results)
    messages = list_messages(emulator.endpoint, emulator.prefix)
    for n, recipient in enumerate(recipients, start=1):
        (message,) = [m for m in messages if recipient.address in m["to"]]  # exactly one each
        unsubscribe = recipient.data["unsubscribe_url"]
        other = recipients[2 - n].data["unsubscribe_url"]
        assert message["to"] == [recipient.address]
        assert message["subject"] == f"Burglary in Stafford, Resident {n}"
        assert f"Unsubscribe: {unsubscribe}" in message["text"] and unsubscribe in message["links"]
        assert other not in message["text"] and other not in (message["html"] or "")
        assert f'href="{unsubscribe}"' in (message["html"] or "")
        assert "{{" not in message["text"] + (message["html"] or "")
        # A value longer than a line is folded onto the next one ("List-Unsubscribe:\r\n <...>"); unfolding keeps
        # the folding space, which RFC 2369 readers ignore.
        assert message["headers"]["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
        assert message["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["headers"]["X-Hexwatch-Alert"] == run
        assert message["headers"]["Reply-To"] == f"alert-{run}@hexwatch.example"
        assert "Community Alerts" in message["from"]
