"""The same appeal from police and a council, on the emulator: each resident hears it once. The council's later alert
is linked to the police one, the council is told how many residents were already reached, and the officer sees the
link; a different appeal to the same street still goes to everyone."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .alert_helpers import STAFFORD, AlertStack, alert_body, offset, serving_alert_stack
from .test_partner_webhook import received, register


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def circle(north_m: float, radius_m: float) -> dict[str, object]:
    lat, lng = offset(*STAFFORD, north_m, 0)
    return {"type": "circle", "center": {"lat": lat, "lng": lng}, "radius_m": radius_m}


def test_police_and_a_council_sending_one_appeal_reach_each_resident_once(stack: AlertStack) -> None:
    both_areas = [stack.resident(*offset(*STAFFORD, 700, east), ["email", "sms"], senders=["council"])
                  for east in (0, 60)]
    police_area_only = stack.resident(*offset(*STAFFORD, 0, 0), ["email"], senders=["council"])
    council_area_only = stack.resident(*offset(*STAFFORD, 1500, 0), ["email"], senders=["council"])
    everyone = [*both_areas, police_area_only, council_area_only]
    appeal = "Witness appeal after a burglary on Mill Lane. Anyone with doorbell footage, please call 101."

    police = stack.create("officer", title="Burglary on Mill Lane", body=appeal, incident_ref="SP-2026-4242",
                          channels=["email", "sms"], target=circle(0, 1000))
    assert stack.call("POST", f"/v1/alerts/{police['id']}/send", "officer").status_code == 200
    stack.pump()
    assert received(stack, everyone) == {both_areas[0].id: 2, both_areas[1].id: 2, police_area_only.id: 1,
                                         council_area_only.id: 0}

    partner = register(stack)
    council = partner.post(alert_body(title="Mill Lane burglary", body="The council shares this police appeal: "
                                      "call 101 with any doorbell footage.", incident_ref="SP-2026-4242",
                                      channels=["email", "sms"], target=circle(1000, 800)), key="mill-lane")
    assert council.status_code == 201, council.body
    council_id = json.loads(council.body)["id"]
    stack.pump()
    assert received(stack, everyone) == {both_areas[0].id: 2, both_areas[1].id: 2, police_area_only.id: 1,
                                         council_area_only.id: 1}

    told = json.loads(partner.read(council_id).body)
    assert told["duplicate_of"] == [police["id"]] and told["already_reached"] == 2
    shown = json.loads(stack.call("GET", f"/v1/alerts/{council_id}", "officer").body)
    assert shown["duplicate_of"] == [police["id"]] and shown["already_reached"] == 2
    assert any(step["action"] == "linked" for step in shown["audit"])
    assert shown["status"] == "sent"

    # Another appeal to the same street is not a copy: everyone who chose it hears it.
    other = partner.post(alert_body(title="Bin collection changes", body="Bins on Mill Lane will be collected on "
                                    "Tuesday this week because of the roadworks.", incident_ref="SBC-2026-0001",
                                    category="crime", channels=["email"], target=circle(1000, 800)), key="bins")
    assert other.status_code == 201, other.body
    stack.pump()
    assert received(stack, both_areas) == {both_areas[0].id: 3, both_areas[1].id: 3}
    assert "duplicate_of" not in json.loads(partner.read(json.loads(other.body)["id"]).body)
