"""Emailed replies on the emulator: the raw message in the inbound mail bucket and SES's `Received` notification, as
the stack's receipt rule leaves them, handed to handle_inbound_email as SNS hands them to Lambda. A reply from a
resident the alert reached is kept (new text only, verdicts, attachments); forged, malformed and expired reply
addresses, strangers and harmful mail are dropped."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from ulid import ULID

from chalicelib import bootstrap
from chalicelib.domain.reply_addresses import reply_address
from infra.local.inbound import received_notification, reply_mime
from infra.local.outbox import list_messages
from infra.local.pump import sns_record
from infra.local.stack import ACCOUNT_ID, INBOUND_MAIL_BUCKET_FORMAT
from tests import delivery_events as events

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def email_us(stack: AlertStack, raw: bytes, to: str, sender: str, verdict: str = "PASS",
             message_id: str | None = None, **receipt: Any) -> dict[str, Any]:
    bucket = INBOUND_MAIL_BUCKET_FORMAT.format(prefix=stack.prefix, account=ACCOUNT_ID)
    message_id = message_id or uuid.uuid4().hex
    key = f"inbound/{message_id}"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
    notification = received_notification(stack.prefix, bucket, key, [to], message_id, sender, verdict)
    notification["receipt"].update(receipt)
    topic = f"arn:aws:sns:eu-west-2:123456789012:{stack.prefix}-inbound-mail"
    envelope = events.sns_envelope(topic, notification, message_id=f"sns-{message_id}")
    event = {"Records": [sns_record(envelope, "sub")]}
    stack.client.lambda_.invoke("handle_inbound_email", event)
    return event


def alert_email(stack: AlertStack, address: str) -> dict[str, Any]:
    return next(m for m in list_messages(prefix=stack.prefix) if m["channel"] == "email" and address in m["to"])


def sent_email_alert(stack: AlertStack) -> tuple[dict[str, Any], str, str]:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["email"])
    alert = stack.create(channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    address = resident.contacts[0].address
    return alert, address, alert_email(stack, address)["headers"]["Reply-To"]


def replies(stack: AlertStack) -> list[dict[str, Any]]:
    return list(json.loads(stack.call("GET", "/v1/inbox").body)["replies"])


def test_a_residents_emailed_reply_is_kept_with_its_new_text_verdicts_and_attachments(stack: AlertStack) -> None:
    alert, address, reply_to = sent_email_alert(stack)
    raw = reply_mime(address, reply_to, "I have doorbell footage from 2am.", quoted="Burglaries in Stafford...",
                     attachments=[("door.jpg", "image/jpeg", b"\xff\xd8\xff" + b"0" * 1000),
                                  ("tool.exe", "application/octet-stream", b"MZ")])
    event = email_us(stack, raw, reply_to, address)
    stack.client.lambda_.invoke("handle_inbound_email", event)  # SNS delivers at least once
    (reply,) = replies(stack)
    assert (reply["alert_id"], reply["channel"]) == (alert["id"], "email")
    assert reply["text"] == "I have doorbell footage from 2am."
    assert reply["verdicts"]["spf"] == "PASS" and reply["verdicts"]["sender_verified"] == "yes"
    assert reply["from"]["contact"] == address
    kept, refused = reply["attachments"]
    assert kept["name"] == "door.jpg" and kept["bytes"] == 1003 and "refused" in refused
    bucket = INBOUND_MAIL_BUCKET_FORMAT.format(prefix=stack.prefix, account=ACCOUNT_ID)
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=kept["key"])
    assert stored["Body"].read().startswith(b"\xff\xd8\xff") and stored["ContentType"] == "image/jpeg"
    # An officer downloads it through a five-minute link (a volunteer may not), and the opening is audited.
    link = json.loads(stack.call("GET", f"/v1/replies/{reply['id']}/attachments/0").body)
    assert link["name"] == "door.jpg" and link["expires_in"] == 300
    assert requests.get(link["url"], timeout=10).content.startswith(b"\xff\xd8\xff")
    assert stack.call("GET", f"/v1/replies/{reply['id']}/attachments/0", "volunteer").status_code == 403
    assert stack.call("GET", f"/v1/replies/{reply['id']}/attachments/1").status_code == 404
    trail = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["audit"]
    assert "open-attachment" in {entry["action"] for entry in trail}
    # The officer's answer goes back by email, and can itself be replied to.
    answered = stack.call("POST", f"/v1/replies/{reply['id']}/respond", body={"text": "Please keep it safe."})
    assert answered.status_code == 200, answered.body
    stack.run_queue("transactional")
    answer = next(m for m in list_messages(prefix=stack.prefix) if address in m["to"]
                  and "Please keep it safe." in (m["text"] or ""))
    assert answer["headers"]["Reply-To"] == reply_to


def test_replies_from_strangers_forged_or_expired_addresses_and_harmful_mail_are_not_kept(stack: AlertStack) -> None:
    alert, address, reply_to = sent_email_alert(stack)
    stranger = f"someone-{uuid.uuid4().hex[:6]}@example.org"
    email_us(stack, reply_mime(stranger, reply_to, "Hello"), reply_to, stranger)
    forged = reply_to.replace(reply_to.split("-")[-1].split("@")[0], "a" * 16)
    email_us(stack, reply_mime(address, forged, "Forged"), forged, address)
    email_us(stack, reply_mime(address, "replies+nothing@hexwatch.example", "Malformed"),
             "replies+nothing@hexwatch.example", address)
    email_us(stack, reply_mime(address, reply_to, "Virus"), reply_to, address, virusVerdict={"status": "FAIL"})
    signer = bootstrap.services().signer
    old_alert = str(ULID.from_timestamp(ULID.from_str(alert["id"]).timestamp - 91 * 86400))
    expired = reply_address(old_alert, "hexwatch.example", signer)
    email_us(stack, reply_mime(address, expired, "Late"), expired, address)
    assert replies(stack) == []
    # The same resident, through the right address: kept.
    email_us(stack, reply_mime(address, reply_to, "Genuine"), reply_to, address, verdict="GRAY")
    (reply,) = replies(stack)
    assert reply["text"] == "Genuine" and reply["verdicts"]["sender_verified"] == "no"
