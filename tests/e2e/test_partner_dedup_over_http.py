"""Police and a council send one appeal (the same incident reference) to overlapping areas, over real HTTP on the
local stack: each resident gets one message, and the council is told how many were already reached."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from chalicelib.domain.partners import signature_header
from infra.local.token import token_from_state
from tests.e2e.test_partner_alert_over_http import TIMEOUT, admin_command, outbox, resident, wait_for

# 4 km from the other tests' residents (they share this stack), so that the counts are this test's alone.
CENTRE = (52.8700, -1.9050)


def wait_until_sent(stack: dict[str, Any], officer: dict[str, str], alert_id: str) -> dict[str, Any]:
    deadline, state = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        state = requests.get(f"{stack['site_url']}/v1/alerts/{alert_id}", headers=officer, timeout=TIMEOUT).json()
        if state["status"] == "sent":
            return state
        time.sleep(0.5)
    raise AssertionError(f"alert {alert_id} never finished: {state}")


def test_police_and_council_sending_one_reference_give_each_resident_one_message(local_stack: dict[str, Any],
                                                                                 tmp_path: Path) -> None:
    site = local_stack["site_url"]
    partner_id = f"e2e-dedup-{uuid.uuid4().hex[:6]}"
    admin_command(local_stack, tmp_path, "set-partner", partner_id, "--name", "Uttoxeter Town Council", "--type",
                  "council", "--categories", "crime", "--channels", "email", "--whole-force", "--trust", "trusted")
    secret = admin_command(local_stack, tmp_path, "add-secret", partner_id)
    residents = [resident(local_stack, ["council"], CENTRE) for _ in range(2)]
    reference = f"SP/{uuid.uuid4().hex[:6].upper()}"
    alert = {"title": f"Witness appeal {reference}", "category": "crime", "priority": "high",
             "body": "A cyclist was hurt in a collision on the high street. Did you see it? Please call 101.",
             "incident_ref": reference, "contact": {"phone": "101"}, "channels": ["email"],
             "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 900}}

    officer = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    police = requests.post(f"{site}/v1/alerts", headers=officer, json=alert, timeout=TIMEOUT).json()
    assert requests.post(f"{site}/v1/alerts/{police['id']}/send", headers=officer,
                         timeout=TIMEOUT).status_code == 200
    wait_until_sent(local_stack, officer, police["id"])

    council_alert = {**alert, "title": f"Council shares police appeal {reference}",
                     "target": {"type": "circle", "center": {"lat": CENTRE[0] + 0.004, "lng": CENTRE[1]},
                                "radius_m": 900}}
    body = json.dumps(council_alert).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": reference,
               "Hexwatch-Signature": signature_header(secret["secret_id"], secret["secret"], int(time.time()), body)}
    made = requests.post(f"{site}/v1/partners/{partner_id}/alerts", data=body, headers=headers, timeout=TIMEOUT)
    assert made.status_code == 201, made.text
    council = wait_until_sent(local_stack, officer, made.json()["id"])
    assert council["duplicate_of"] == [police["id"]] and council["already_reached"] == 2

    for email in residents:
        wait_for(local_stack, email, f"Witness appeal {reference}")
        about_it = [m for m in outbox(local_stack) if email in m["to"] and reference in json.dumps(m)]
        assert len(about_it) == 1, about_it
