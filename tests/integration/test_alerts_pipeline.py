"""An alert from the API to the outbox on the emulator: targeting, the ledger, fan-out on every channel, once each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .ledger_reads import TOMBSTONE_SHAPE, ledger_entries, raw_ledger_items


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def test_a_1km_alert_reaches_exactly_the_matching_residents_once_on_each_of_their_channels(stack: AlertStack) -> None:
    every = ["email", "sms", "voice", "push"]
    inside = [stack.resident(*offset(*STAFFORD, 300, 200), every),
              stack.resident(*offset(*STAFFORD, -900, 0), ["email"]),
              stack.resident(*offset(*STAFFORD, 0, 950), ["sms", "push"], language="cy")]
    other_topic = stack.resident(*offset(*STAFFORD, 100, 100), every, categories=["rural"])
    outside = stack.resident(*offset(*STAFFORD, 0, 1100), every)

    alert = stack.create()
    preview = stack.call("POST", "/v1/alerts/preview", body={k: v for k, v in alert_body_of(alert).items()})
    assert preview.status_code == 200, preview.body
    counted = json.loads(preview.body)
    # Three residents match: a preview shows counts under 5 only as "fewer than 5" (the outbox below is exact).
    assert counted["residents"] == "fewer than 5"
    assert counted["by_channel"] == dict.fromkeys(["email", "push", "sms", "voice"], "fewer than 5")

    sent = stack.call("POST", f"/v1/alerts/{alert['id']}/send")
    assert sent.status_code == 200, sent.body
    assert json.loads(sent.body)["status"] == "sending"
    stack.pump()

    received = stack.outbox_for([*inside, other_topic, outside])
    assert {channel: len(messages) for channel, messages in received[inside[0].id].items()} == \
        {"email": 1, "sms": 1, "voice": 1, "push": 1}
    assert {channel: len(m) for channel, m in received[inside[1].id].items()} == {"email": 1}
    assert {channel: len(m) for channel, m in received[inside[2].id].items()} == {"sms": 1, "push": 1}
    assert received[other_topic.id] == {} and received[outside.id] == {}

    email = received[inside[0].id]["email"][0]
    assert "SP-2026-1234" in email["text"] and "Phone 101" in email["text"]
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe.html?token=" in email["text"]
    assert "SP-2026-1234" in received[inside[0].id]["sms"][0]["text"]
    assert "S P - 2 0 2 6" in received[inside[0].id]["voice"][0]["text"]
    assert received[inside[0].id]["voice"][0]["simulated"]

    state = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)
    assert state["status"] == "sent"
    assert state["progress"]["email"]["sent"] == 2 and state["progress"]["voice"]["sent"] == 1
    assert all(p["queued"] == 0 and p["unconfirmed"] == 0 for p in state["progress"].values())
    assert [entry["action"] for entry in state["audit"]] == ["create", "send", "release", "sent"]


def alert_body_of(alert: dict[str, Any]) -> dict[str, Any]:
    return {"title": alert["title"], "body": alert["body"], "category": alert["category"],
            "priority": alert["priority"], "incident_ref": alert["incident_ref"], "contact": alert["contact"],
            "target": alert["target"], "channels": alert["channels"]}


def test_a_bounce_marks_the_alerts_ledger_entry_and_erasure_leaves_only_tombstones_of_the_residents_entries(
        stack: AlertStack) -> None:
    from infra.local.pump import sns_record

    bouncing = stack.resident(*offset(*STAFFORD, 100, 0), ["email"])
    alert = stack.create(channels=["email"])
    stack.call("POST", f"/v1/alerts/{alert['id']}/send")
    stack.pump()
    address = bouncing.contacts[0].address
    notification = {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
                    "bouncedRecipients": [{"emailAddress": address}]},
                    "mail": {"tags": {"alert_id": [alert["id"]]}}}
    envelope = {"MessageId": "b1", "TopicArn": f"arn:aws:sns:eu-west-2:123456789012:{stack.prefix}-ses-events",
                "Message": json.dumps(notification)}
    stack.client.lambda_.invoke("handle_ses_event", {"Records": [sns_record(envelope, "sub")]})
    progress = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["progress"]["email"]
    assert progress["bounced"] == 1 and progress["sent"] == 0

    entries = ledger_entries(alert["id"])
    assert [e.status for e in entries] == ["bounced"]
    bootstrap.services().residents.erase(bouncing)
    # Every shard of the alert: what is left of the resident is a tombstone holding nothing but the entry's keys,
    # the contact's hash and the expiry (adapters/ledger.py), so the alert's counts stay whole.
    left = raw_ledger_items(f"{stack.prefix}-deliveries", alert["id"])
    assert [item["recipient"]["S"] for item in left] == [e.recipient for e in entries]
    assert all(set(item) == TOMBSTONE_SHAPE and item["contact"] == {"S": bouncing.contacts[0].hash}
               for item in left), left


def test_the_public_page_shows_a_sent_alert_and_nothing_of_a_draft(stack: AlertStack) -> None:
    stack.resident(*offset(*STAFFORD, 100, 0), ["sms"])
    draft = stack.create(channels=["sms"])
    assert stack.client.http.get(f"/v1/public/alerts/staffordshire/{draft['id']}").status_code == 404
    long_body = "A long appeal for witnesses. " * 30
    alert = stack.create(channels=["sms"], body=long_body.strip())
    stack.call("POST", f"/v1/alerts/{alert['id']}/send")
    stack.pump()
    public = json.loads(stack.client.http.get(f"/v1/public/alerts/staffordshire/{alert['id']}").body)
    assert public["incident_ref"] == "SP-2026-1234" and public["contact"]["phone"] == "101"
    assert "target" not in public and "source" not in public
    from infra.local.outbox import list_messages

    # The SMS was too long for three segments: shortened, with a link to that page and the reference kept.
    texts = [m["text"] for m in list_messages(prefix=stack.prefix) if m["channel"] == "sms"]
    assert any(f"alert.html?org=staffordshire&id={alert['id']}" in t and "SP-2026-1234" in t for t in texts), texts
