"""Delivery feedback on the emulator: SES events, voice events and SMS delivery logs move the ledger on, once each,
and permanent bounces and complaints suppress the address. Events are the recorded AWS shapes (tests/delivery_events.py)
handed to the handlers as Lambda would: SNS records, and the CloudWatch Logs subscription payload."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.ledger import CLAIMED, DELIVERED, FAILED, SENT
from chalicelib.adapters.models import DeliveryModel, SuppressionModel
from chalicelib.domain.audience import ledger_key
from chalicelib.services.receipts import ReceiptTooEarly
from infra.local.pump import sns_record
from tests import delivery_events as events

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .ledger_reads import entry_item_key, ledger_entry


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def sent_alert(stack: AlertStack, channels: list[str], residents: int = 1) -> tuple[dict[str, Any], list[Any]]:
    people = [stack.resident(*offset(*STAFFORD, 100 + 10 * n, 0), channels) for n in range(residents)]
    alert = stack.create(channels=channels)
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    return alert, people


def entry(alert_id: str, key: str) -> DeliveryModel:
    return ledger_entry(alert_id, key)


def progress(stack: AlertStack, alert_id: str, channel: str) -> dict[str, int]:
    return dict(json.loads(stack.call("GET", f"/v1/alerts/{alert_id}").body)["progress"][channel])


def ses(stack: AlertStack, document: dict[str, Any]) -> None:
    topic = f"arn:aws:sns:eu-west-2:123456789012:{stack.prefix}-ses-events"
    stack.client.lambda_.invoke("handle_ses_event", {"Records": [sns_record(events.sns_envelope(topic, document),
                                                                             "sub")]})


def voice(stack: AlertStack, document: dict[str, Any]) -> None:
    topic = f"arn:aws:sns:eu-west-2:123456789012:{stack.prefix}-voice-events"
    stack.client.lambda_.invoke("handle_voice_event", {"Records": [sns_record(events.sns_envelope(topic, document),
                                                                               "sub")]})


def test_an_ses_delivery_event_marks_the_entry_delivered_once_and_keeps_it_sent(stack: AlertStack) -> None:
    alert, (resident,) = sent_alert(stack, ["email"])
    key = ledger_key("email", resident.id)
    sent = entry(alert["id"], key)
    assert sent.status == SENT and sent.provider_id
    document = events.ses_delivery(sent.provider_id, resident.contacts[0].address, alert["id"], key)
    ses(stack, document)
    ses(stack, document)  # SNS delivers at least once
    delivered = entry(alert["id"], key)
    assert delivered.status == DELIVERED and delivered.provider_id == sent.provider_id
    shown = progress(stack, alert["id"], "email")
    assert (shown["sent"], shown["delivered"], shown["queued"], shown["bounced"]) == (1, 1, 0, 0)


def test_a_permanent_bounce_suppresses_and_marks_the_entry_and_a_transient_one_only_marks(stack: AlertStack) -> None:
    alert, residents = sent_alert(stack, ["email"], residents=2)
    keys = [ledger_key("email", resident.id) for resident in residents]
    for resident, key, bounce_type in zip(residents, keys, ("Permanent", "Transient"), strict=True):
        message_id = entry(alert["id"], key).provider_id
        ses(stack, events.ses_bounce(message_id, resident.contacts[0].address, alert["id"], key, bounce_type))
    assert [entry(alert["id"], key).status for key in keys] == ["bounced", "bounced"]
    suppressed = {item.contact_hash: item.reason for item in SuppressionModel.scan()}
    assert suppressed == {residents[0].contacts[0].hash: "bounced"}
    shown = progress(stack, alert["id"], "email")
    assert (shown["sent"], shown["bounced"], shown["delivered"]) == (0, 2, 0)


def test_a_complaint_suppresses_and_a_later_alert_skips_the_resident(stack: AlertStack) -> None:
    alert, (resident,) = sent_alert(stack, ["email"])
    key = ledger_key("email", resident.id)
    ses(stack, events.ses_complaint(entry(alert["id"], key).provider_id, resident.contacts[0].address,
                                    alert["id"], key))
    assert SuppressionModel.get(resident.contacts[0].hash).reason == "complained"
    assert entry(alert["id"], key).status == SENT  # it had arrived: a complaint is not a failed delivery
    again = stack.create(channels=["email"])
    stack.call("POST", f"/v1/alerts/{again['id']}/send")
    stack.pump()
    assert progress(stack, again["id"], "email")["sent"] == 0


def test_foreign_and_unreadable_events_are_ignored_without_failing(stack: AlertStack) -> None:
    topic = f"arn:aws:sns:eu-west-2:123456789012:{stack.prefix}-ses-events"
    for message in ("not json", json.dumps({"hello": "world"}), json.dumps(events.ses_delivery("x", "a@b.example"))):
        envelope = {**events.sns_envelope(topic, {}), "Message": message}
        stack.client.lambda_.invoke("handle_ses_event", {"Records": [sns_record(envelope, "sub")]})
    voice(stack, {"eventType": "TEXT_DELIVERED", "messageId": "x"})
    voice(stack, events.voice_event("no-such-call"))
    assert stack.client.lambda_.invoke("sms_receipts", {"unexpected": True}).payload == {"receipts": 0}


def test_sms_receipts_from_the_delivery_logs_mark_delivered_and_failed(stack: AlertStack) -> None:
    alert, residents = sent_alert(stack, ["sms"], residents=2)
    keys = [ledger_key("sms", resident.id) for resident in residents]
    message_ids = [entry(alert["id"], key).provider_id for key in keys]
    assert all(message_ids)
    success = events.logs_event([events.sms_delivery_record(message_ids[0])])
    failure = events.logs_event([events.sms_delivery_record(message_ids[1], success=False)], failure_group=True)
    for payload in (success, failure, success):  # the last one again: counted once
        stack.client.lambda_.invoke("sms_receipts", payload)
    assert [entry(alert["id"], key).status for key in keys] == [DELIVERED, FAILED]
    raw = bootstrap.receipts()._ledger._client.get_item(  # the model does not map `receipt`
        TableName=f"{stack.prefix}-deliveries", Key=entry_item_key(alert["id"], keys[1]))
    assert raw["Item"]["receipt"] == {"S": "FAILURE"} and "+44" not in json.dumps(raw["Item"])
    shown = progress(stack, alert["id"], "sms")
    assert (shown["sent"], shown["delivered"], shown["failed"], shown["queued"]) == (1, 1, 1, 0)


def test_a_completed_call_marks_the_voice_entry_delivered(stack: AlertStack) -> None:
    alert, (resident,) = sent_alert(stack, ["voice"])
    key = ledger_key("voice", resident.id)
    call_id = entry(alert["id"], key).provider_id
    voice(stack, events.voice_event(call_id, "VOICE_RINGING", key=key, status="RINGING"))
    assert entry(alert["id"], key).status == SENT
    voice(stack, events.voice_event(call_id, "VOICE_COMPLETED", key=key))
    assert entry(alert["id"], key).status == DELIVERED
    assert progress(stack, alert["id"], "voice")["delivered"] == 1


def test_a_receipt_that_overtakes_the_record_of_its_send_is_retried_not_lost(stack: AlertStack) -> None:
    alert, (resident,) = sent_alert(stack, ["email"])
    key = ledger_key("email", resident.id)
    ledger = bootstrap.receipts()._ledger  # put the entry back to where a worker holds it
    ledger._client.update_item(
        TableName=f"{stack.prefix}-deliveries", Key=entry_item_key(alert["id"], key),
        UpdateExpression="SET #s = :c", ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":c": {"S": CLAIMED}})
    document = events.ses_delivery("m-early", resident.contacts[0].address, alert["id"], key)
    with pytest.raises(ReceiptTooEarly):
        ses(stack, document)
    assert entry(alert["id"], key).status == CLAIMED
