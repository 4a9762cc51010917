"""A resident with only a landline, over HTTP against the running local stack: signs up, is rung with a 6-digit code
(the local voice outbox shows the call), confirms it on the site's API, and then hears a voice alert."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import requests

from infra.local.token import token_from_state
from tests.e2e.test_officer_alert_over_http import TIMEOUT, outbox, wait_for

HOME = (52.9120, -1.8400)  # near Uttoxeter, away from the other tests' residents


def test_a_landline_only_resident_confirms_by_a_voice_code_and_then_gets_a_voice_alert(
        local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    landline = f"01889 {uuid.uuid4().int % 900000 + 100000}"
    e164 = "+441889" + landline[-6:]
    signup = requests.post(f"{site}/v1/signup", timeout=TIMEOUT, json={
        "landline": landline, "channels": ["voice"], "categories": ["crime"], "language": "en",
        "locations": [{"label": "Home", "lat": HOME[0], "lng": HOME[1]}], "age_confirmed": True, "consent": True})
    assert signup.status_code == 202, signup.text

    call = wait_for(local_stack, e164, "voice", "Your code is")
    code = re.search(r"\b(\d{6})\b", call["text"]).group(1)  # type: ignore[union-attr]
    assert call["text"].count(code) == 2
    verified = requests.post(f"{site}/v1/verify", json={"landline": landline, "code": code}, timeout=TIMEOUT)
    assert verified.status_code == 200, verified.text
    me = requests.get(f"{site}/v1/me", timeout=TIMEOUT,
                      headers={"Authorization": f"Bearer {verified.json()['session']}"}).json()
    assert me["status"] == "active" and me["reachable_channels"] == ["voice"]

    officer = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    reference = f"LAND/{uuid.uuid4().hex[:6].upper()}"
    alert = requests.post(f"{site}/v1/alerts", headers=officer, timeout=TIMEOUT, json={
        "title": "Farm machinery thefts", "category": "crime", "priority": "high",
        "body": "Quad bikes were taken from two farms last night. Please check your outbuildings.",
        "incident_ref": reference, "contact": {"phone": "101"}, "channels": ["voice"],
        "target": {"type": "circle", "center": {"lat": HOME[0], "lng": HOME[1]}, "radius_m": 500}})
    assert alert.status_code == 201, alert.text
    sent = requests.post(f"{site}/v1/alerts/{alert.json()['id']}/send", headers=officer, timeout=TIMEOUT)
    assert sent.status_code == 200, sent.text
    wait_for(local_stack, e164, "voice", "Quad bikes", seconds=60)
    time.sleep(2)  # anything sent twice would be in the outbox by now
    calls = [m for m in outbox(local_stack) if m["channel"] == "voice" and e164 in m["to"]
             and "Quad bikes" in (m["text"] or "")]
    assert len(calls) == 1
