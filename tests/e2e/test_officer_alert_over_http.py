"""The Done-when journey over real HTTP on the local stack: residents sign up and confirm, a seeded officer's token
sends a 1 km alert through the API, and exactly the verified residents inside 1 km who chose that category get it,
once each, on each of their channels (email, SMS, voice and push), in the local outbox."""

from __future__ import annotations

import math
import re
import time
import uuid
from typing import Any

import requests

from infra.local.token import token_from_state

TIMEOUT = 10
CENTRE = (52.9000, -1.8650)  # Uttoxeter: away from the demo residents around the towns


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    return (round(CENTRE[0] + north_m / 111_320, 6),
            round(CENTRE[1] + east_m / (111_320 * math.cos(math.radians(CENTRE[0]))), 6))


def outbox(stack: dict[str, Any]) -> list[dict[str, Any]]:
    return list(requests.get(f"{stack['site_url']}/outbox.json", timeout=TIMEOUT).json())


def wait_for(stack: dict[str, Any], to: str, channel: str, contains: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in outbox(stack):
            if message["channel"] == channel and to in message["to"] and contains in (message["text"] or ""):
                return message
        time.sleep(0.3)
    raise AssertionError(f"no {channel} to {to} containing {contains!r} within {seconds} s")


def signed_up(stack: dict[str, Any], point: tuple[float, float], categories: list[str],
              mobile: bool) -> dict[str, Any]:
    """A resident who signed up on the API and confirmed every contact from the outbox; returns their account."""
    site = stack["site_url"]
    email = f"alert-e2e-{uuid.uuid4().hex[:8]}@example.org"
    body: dict[str, Any] = {"email": email, "channels": ["email"], "categories": categories, "language": "en",
                            "locations": [{"label": "Home", "lat": point[0], "lng": point[1]}],
                            "age_confirmed": True, "consent": True}
    number = f"+44741{uuid.uuid4().int % 10**7:07d}".replace("9", "8")
    if mobile:
        body.update(phone=number, channels=["email", "sms", "voice", "push"])
    assert requests.post(f"{site}/v1/signup", json=body, timeout=TIMEOUT).status_code == 202
    link = wait_for(stack, email, "email", "verify.html")
    token = re.search(r"verify\.html\?token=([^\s&\"]+)", link["text"]).group(1)  # type: ignore[union-attr]
    verified = requests.post(f"{site}/v1/verify", json={"token": token}, timeout=TIMEOUT)
    assert verified.status_code == 200, verified.text
    session = {"Authorization": f"Bearer {verified.json()['session']}"}
    if mobile:
        code = re.search(r"\b(\d{6})\b", wait_for(stack, number, "sms", "code")["text"]).group(1)  # type: ignore
        assert requests.post(f"{site}/v1/verify", json={"phone": number, "code": code},
                             timeout=TIMEOUT).status_code == 200
        device = requests.post(f"{site}/v1/me/devices", headers=session, timeout=TIMEOUT,
                               json={"platform": "fcm", "token": f"e2e-device-{uuid.uuid4().hex}"})
        assert device.status_code in (200, 201), device.text
    account = requests.get(f"{site}/v1/me", headers=session, timeout=TIMEOUT).json()
    assert account["status"] == "active"
    return {"id": account["id"], "email": email, "mobile": number if mobile else None,
            "reachable": account["reachable_channels"]}


def test_a_seeded_officer_sends_a_1km_alert_and_each_matching_resident_gets_it_once_per_channel(
        local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    everything = signed_up(local_stack, offset(400, -300), ["crime"], mobile=True)
    email_only = signed_up(local_stack, offset(-850, 300), ["crime", "rural"], mobile=False)
    other_topic = signed_up(local_stack, offset(100, 100), ["neighbourhood"], mobile=False)
    outside = signed_up(local_stack, offset(0, 1150), ["crime"], mobile=True)
    assert everything["reachable"] == ["email", "sms", "voice", "push"]

    officer = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    reference = f"E2E/{uuid.uuid4().hex[:8].upper()}"
    alert = requests.post(f"{site}/v1/alerts", headers=officer, timeout=TIMEOUT, json={
        "title": "Vehicle crime near the town centre", "category": "crime", "priority": "normal",
        "body": "Catalytic converters were stolen from three cars last night. Please report anything suspicious.",
        "incident_ref": reference, "contact": {"phone": "101"}, "channels": ["email", "sms", "voice", "push"],
        "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 1000}})
    assert alert.status_code == 201, alert.text
    alert_id = alert.json()["id"]
    sent = requests.post(f"{site}/v1/alerts/{alert_id}/send", headers=officer, timeout=TIMEOUT)
    assert sent.status_code == 200 and sent.json()["status"] == "sending", sent.text

    deadline = time.monotonic() + 60
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = requests.get(f"{site}/v1/alerts/{alert_id}", headers=officer, timeout=TIMEOUT).json()
        if state["status"] == "sent":
            break
        time.sleep(0.5)
    assert state["status"] == "sent", state

    about_it = [m for m in outbox(local_stack) if reference in (m["text"] or "") or
                reference.replace("/", " / ") in (m["text"] or "") or " ".join(reference) in (m["text"] or "")]

    def channels_of(resident: dict[str, Any]) -> dict[str, int]:
        targets = {resident["email"], resident["mobile"], resident["id"]} - {None}
        counts: dict[str, int] = {}
        for message in about_it:
            if targets & set(message["to"]):
                counts[message["channel"]] = counts.get(message["channel"], 0) + 1
        return counts

    assert channels_of(everything) == {"email": 1, "sms": 1, "voice": 1, "push": 1}
    assert channels_of(email_only) == {"email": 1}
    assert channels_of(other_topic) == {} and channels_of(outside) == {}
    assert len(about_it) == 5
    assert state["progress"]["email"]["sent"] == 2 and state["progress"]["voice"]["sent"] == 1
