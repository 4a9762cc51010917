"""CAP 1.2 through the partner webhook, on the emulator: a signed CAP Alert reaches exactly the right residents, a
replay sends nothing twice, hostile XML is refused without harm, an Update reaches the original's residents, and a
Cancel stops a scheduled alert (and, with words, tells those already reached)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.cap_messages import HOSTILE, cap_message, circle_area, info, named_area

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .test_partner_webhook import LEEK, errors, received, register

SENDER = "alerts@stafford.gov.uk"


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def texts(stack: AlertStack, resident: Any) -> list[str]:
    return [json.dumps(m) for by_channel in stack.outbox_for([resident]).values()
            for messages in by_channel.values() for m in messages]


def test_a_signed_cap_alert_reaches_the_right_residents_once(stack: AlertStack) -> None:
    inside = stack.resident(*offset(*STAFFORD, 300, 0), ["email"], senders=["council"])
    police_only = stack.resident(*offset(*STAFFORD, 300, 50), ["email"])
    outside = stack.resident(*offset(*STAFFORD, 3000, 0), ["email"], senders=["council"])
    partner = register(stack)
    message = cap_message(infos=[info(areas=[circle_area(STAFFORD[0], STAFFORD[1], 1.0)],
                                      parameters={"hexwatch:channels": "email"})])
    made = partner.cap(message)
    assert made.status_code == 201, made.body
    shown = json.loads(made.body)
    assert shown["partner_reference"] == f"{SENDER},SBC-2026-0042"
    stack.pump()
    assert received(stack, [inside, police_only, outside]) == {inside.id: 1, police_only.id: 0, outside.id: 0}
    read = json.loads(stack.call("GET", f"/v1/alerts/{shown['id']}", "officer").body)
    assert read["target"]["radius_m"] == 1000 and read["priority"] == "normal" and read["category"] == "crime"
    # The same message again (a partner's retry) is the same alert, and nobody hears twice.
    again = partner.cap(message)
    assert again.status_code == 200 and json.loads(again.body)["id"] == shown["id"]
    stack.pump()
    assert received(stack, [inside])[inside.id] == 1


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_without_harm(stack: AlertStack, name: str) -> None:
    partner = register(stack)
    refused = partner.cap(HOSTILE[name])
    assert refused.status_code == 400 and "/" in errors(refused)


def test_bad_cap_is_refused_naming_the_element(stack: AlertStack) -> None:
    partner = register(stack)
    bad_circle = partner.cap(cap_message("bad-a1", infos=[info(areas=[
        "<area><areaDesc>x</areaDesc><circle>52.8 -2.1 1</circle></area>"])]))
    assert bad_circle.status_code == 400 and list(errors(bad_circle)) == ["/alert/info/0/area/0/circle/0"]
    too_long = partner.cap(cap_message("bad-a2", infos=[info(headline="A" * 120)]))
    assert too_long.status_code == 400 and "/alert/info/0/headline" in errors(too_long)
    exercise = partner.cap(cap_message("bad-a3", status="Exercise"))
    assert exercise.status_code == 400 and "/alert/status" in errors(exercise)
    outside = partner.cap(cap_message("bad-a4", infos=[info(areas=[named_area("leek")])]))
    assert outside.status_code == 403 and "/alert/info/0/area/0/geocode" in errors(outside)
    fire = partner.cap(cap_message("bad-a5", infos=[info(parameters={"hexwatch:channels": "voice"})]))
    assert fire.status_code == 403 and "/alert/info/0/parameter" in errors(fire)
    forged = partner.cap(cap_message("bad-a6"), secret="wrong")
    assert forged.status_code == 401
    orphan = partner.cap(cap_message("bad-a7", msg_type="Update", references=f"{SENDER},never-sent,2026-01-01T00:00:00"
                                                                             "+00:00"))
    assert orphan.status_code == 400 and "/alert/references" in errors(orphan)


def test_an_update_reaches_the_originals_residents(stack: AlertStack) -> None:
    first = stack.resident(*offset(*STAFFORD, 200, 0), ["email"], senders=["council"])
    elsewhere = stack.resident(*offset(*LEEK, 0, 0), ["email"], senders=["council"])
    partner = register(stack, areas=["stafford", "leek"])
    sent = datetime.now(UTC).replace(microsecond=0)
    original = json.loads(partner.cap(cap_message("orig-1", sent=sent)).body)
    stack.pump()
    update = partner.cap(cap_message(
        "upd-1", msg_type="Update", references=f"{SENDER},orig-1,{sent.isoformat()}",
        infos=[info(headline="Bin lorries recovered", description="Both vehicles were found. Thank you.",
                    areas=[])]))
    assert update.status_code == 201, update.body
    shown = json.loads(stack.call("GET", f"/v1/alerts/{json.loads(update.body)['id']}", "officer").body)
    assert shown["type"] == "update" and shown["references"] == [original["id"]]
    stack.pump()
    assert any("Bin lorries recovered" in text for text in texts(stack, first))
    assert received(stack, [elsewhere])[elsewhere.id] == 0


def test_a_cancel_stops_a_scheduled_alert_and_with_words_tells_those_reached(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 200, 0), ["email"], senders=["council"])
    partner = register(stack)
    sent = datetime.now(UTC).replace(microsecond=0)
    later = sent + timedelta(seconds=4)  # a short wait, so that the pump sees the plan job come due
    scheduled = json.loads(partner.cap(cap_message("sched-1", sent=sent, infos=[info(effective=later)])).body)
    assert scheduled["status"] == "scheduled"
    cancelling = cap_message("cancel-1", msg_type="Cancel", infos=[], sent=sent,
                             references=f"{SENDER},sched-1,{sent.isoformat()}")
    cancel = partner.cap(cancelling)
    assert cancel.status_code == 200 and json.loads(cancel.body)["status"] == "cancelled"
    assert json.loads(partner.read(scheduled["id"]).body)["status"] == "cancelled"
    stack.pump()
    assert received(stack, [resident])[resident.id] == 0
    # A replay of the Cancel answers the same and changes nothing.
    assert json.loads(partner.cap(cancelling).body)["id"] == scheduled["id"]

    went = json.loads(partner.cap(cap_message("sent-1", sent=sent)).body)
    stack.pump()
    assert received(stack, [resident])[resident.id] == 1
    notice = partner.cap(cap_message("cancel-2", msg_type="Cancel", references=f"{SENDER},sent-1,{sent.isoformat()}",
                                     infos=[info(headline="Disregard: vehicles were not stolen", areas=[],
                                                 description="The vans were moved by staff. Sorry for the worry.")]))
    assert notice.status_code == 201, notice.body
    stack.pump()
    assert any("Disregard: vehicles were not stolen" in text for text in texts(stack, resident))
    assert json.loads(partner.read(went["id"]).body)["status"] == "sent"  # what was sent stays sent
