"""Texts to the two-way number, on the emulator: STOP ends a number's alert texts (calls go on) with one confirmation,
START brings them back (once in 30 days), and any other text is a reply that reaches the alert's team.

Inbound texts are the provider's two-way payload in an SNS record, handed to handle_inbound_sms as Lambda would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.models import SuppressionModel
from chalicelib.adapters.sms_opt_outs import LocalOptOutList
from chalicelib.domain.audience import ledger_key
from chalicelib.domain.residents import Resident
from infra.local.inbound import inbound_sms_payload
from infra.local.outbox import list_messages
from infra.local.pump import sns_record
from tests import delivery_events as events

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .ledger_reads import ledger_entry
from .residents_helpers import unique_mobile


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def text_us(stack: AlertStack, number: str, text: str, message_id: str | None = None) -> str:
    payload = inbound_sms_payload(number, text, message_id=message_id)
    topic = f"arn:aws:sns:eu-west-2:123456789012:{stack.prefix}-inbound-sms"
    envelope = events.sns_envelope(topic, payload, message_id=f"sns-{payload['inboundMessageId']}")
    stack.client.lambda_.invoke("handle_inbound_sms", {"Records": [sns_record(envelope, "sub")]})
    return str(payload["inboundMessageId"])


def texts_to(stack: AlertStack, number: str) -> list[str]:
    return [m["text"] for m in list_messages(prefix=stack.prefix) if m["channel"] == "sms" and number in m["to"]]


def mobile_of(resident: Resident) -> str:
    return next(c.address for c in resident.contacts if c.kind == "mobile")


def send(stack: AlertStack, channels: list[str], **overrides: Any) -> dict[str, Any]:
    alert = stack.create(channels=channels, **overrides)
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    return alert


def inbox(stack: AlertStack, role: str = "officer", query: str = "") -> dict[str, Any]:
    response = stack.call("GET", f"/v1/inbox{query}", role)
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def test_an_alert_text_from_the_two_way_number_says_how_to_opt_out(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["sms"])
    send(stack, ["sms"], body="Lock your doors tonight.")
    (text,) = texts_to(stack, mobile_of(resident))
    assert text.endswith("Reply STOP to opt out.")


def test_stop_ends_alert_texts_with_one_confirmation_and_calls_go_on(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["sms", "voice"])
    number = mobile_of(resident)
    send(stack, ["sms"])
    before = len(texts_to(stack, number))
    message_id = text_us(stack, number, "Stop")
    text_us(stack, number, "Stop", message_id=message_id)  # SNS delivers at least once
    text_us(stack, number, "STOP")  # a second STOP: stopped already, not confirmed again
    texts = texts_to(stack, number)
    assert len(texts) == before + 1 and "no more text alerts" in texts[0]
    wired = bootstrap.services()
    assert wired.suppressions.reason(resident.contacts[0].hash) == "sms_stopped"
    stored = wired.store.get(resident.id)
    assert stored is not None and stored.channels == ["voice"]
    assert number in LocalOptOutList(boto3.client("s3"), f"{stack.prefix}-local-outbox").numbers()
    # The next alert: no text, but the call still goes to the number.
    alert = send(stack, ["sms", "voice"])
    assert len(texts_to(stack, number)) == before + 1
    assert ledger_entry(alert["id"], ledger_key("voice", resident.id)).status == "sent"


def test_start_brings_texts_back_once_in_thirty_days_and_says_when_otherwise(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["sms"])
    number = mobile_of(resident)
    outbox = LocalOptOutList(boto3.client("s3"), f"{stack.prefix}-local-outbox")
    text_us(stack, number, "STOP")
    text_us(stack, number, "start")
    assert "on again" in texts_to(stack, number)[0]
    assert number not in outbox.numbers()
    stored = bootstrap.services().store.get(resident.id)
    assert stored is not None and "sms" in stored.channels
    alert = send(stack, ["sms"])
    assert ledger_entry(alert["id"], ledger_key("sms", resident.id)).status == "sent"
    # Stopped again at once: the provider lets a number back in only once in 30 days.
    text_us(stack, number, "STOP")
    start_id = text_us(stack, number, "START")
    text_us(stack, number, "START", message_id=start_id)  # redelivered: answered once
    latest = texts_to(stack, number)
    assert "less than 30 days ago" in latest[0] and "less than 30 days ago" not in latest[1]
    resume = time.strftime("%B %Y", time.gmtime(time.time() + 30 * 86400))
    assert resume in latest[0]
    assert bootstrap.services().suppressions.reason(resident.contacts[0].hash) == "sms_stopped"


def test_a_reply_by_text_reaches_the_team_and_an_answer_goes_back(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["sms"])
    number = mobile_of(resident)
    alert = send(stack, ["sms"])
    message_id = text_us(stack, number, "I saw a white van on Mill Lane at 2am")
    text_us(stack, number, "I saw a white van on Mill Lane at 2am", message_id=message_id)  # stored once
    shown = inbox(stack)
    (reply,) = shown["replies"]
    assert (reply["alert_id"], reply["channel"], reply["state"]) == (alert["id"], "sms", "unread")
    assert reply["text"] == "I saw a white van on Mill Lane at 2am"
    assert reply["from"]["contact"] == number
    # A volunteer reads the words but not who sent them.
    (seen,) = inbox(stack, "volunteer")["replies"]
    assert "from" not in seen
    by_alert = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}/replies").body)
    assert [r["id"] for r in by_alert["replies"]] == [reply["id"]]
    # The answer goes back by text, from the transactional worker.
    answered = stack.call("POST", f"/v1/replies/{reply['id']}/respond", body={"text": "Thank you, we will call you."})
    assert answered.status_code == 200, answered.body
    stack.run_queue("transactional")
    assert "Thank you, we will call you." in texts_to(stack, number)[0]
    (after,) = inbox(stack)["replies"]
    assert after["state"] == "handled" and after["answers"][0]["text"] == "Thank you, we will call you."
    trail = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["audit"]
    assert {"read-replies", "answer-reply"} <= {entry["action"] for entry in trail}


def test_a_text_from_a_number_no_alert_reached_is_not_stored_or_answered(stack: AlertStack) -> None:
    stack.resident(*offset(*STAFFORD, 100, 0), ["sms"])
    send(stack, ["sms"])
    stranger = unique_mobile()
    text_us(stack, stranger, "Is this the police?")
    assert inbox(stack)["replies"] == []
    assert texts_to(stack, stranger) == []


def test_replies_can_be_marked_and_filtered_by_state_and_area(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["sms"])
    send(stack, ["sms"])
    text_us(stack, mobile_of(resident), "Thanks")
    (reply,) = inbox(stack)["replies"]
    marked = stack.call("POST", f"/v1/replies/{reply['id']}/mark", body={"state": "abusive"})
    assert marked.status_code == 200
    assert inbox(stack, query="?state=unread")["replies"] == []
    assert [r["id"] for r in inbox(stack, query="?state=abusive")["replies"]] == [reply["id"]]
    refused = stack.call("POST", f"/v1/replies/{reply['id']}/respond", body={"text": "Hello"})
    assert refused.status_code == 409
    bad = stack.call("POST", f"/v1/replies/{reply['id']}/mark", body={"state": "deleted"})
    assert bad.status_code == 400 and json.loads(bad.body)["errors"][0]["pointer"] == "/state"
    assert stack.call("GET", "/v1/inbox?state=gone").status_code == 400
    assert stack.call("GET", "/v1/inbox?cursor=bm90LWEtY3Vyc29y").status_code == 400


def test_no_suppression_item_for_a_stop_from_an_unknown_number_is_lost(stack: AlertStack) -> None:
    """A STOP from a number we never texted still keeps it from ever being texted (and is confirmed once)."""
    stranger = unique_mobile()
    text_us(stack, stranger, "STOP")
    hashed = bootstrap.services().hasher.mobile(stranger).hash
    assert SuppressionModel.get(hashed).reason == "sms_stopped"
    assert len(texts_to(stack, stranger)) == 1


def test_erasure_keeps_what_a_witness_wrote_but_not_who_wrote_it(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["sms"])
    send(stack, ["sms"])
    text_us(stack, mobile_of(resident), "The car was a blue estate")
    bootstrap.services().residents.erase(resident)
    (reply,) = inbox(stack)["replies"]
    assert reply["text"] == "The car was a blue estate" and reply["erased"] is True and reply["from"] is None
    refused = stack.call("POST", f"/v1/replies/{reply['id']}/respond", body={"text": "Thanks"})
    assert refused.status_code == 409
