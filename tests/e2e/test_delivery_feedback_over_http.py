"""Delivery feedback over the running local stack: SES events in the shape AWS publishes them, published to the stack's
SES events topic in the emulator, reach the handler through the event pump. A Delivery event shows in the officer's
progress as `delivered`; a permanent bounce suppresses the address, so the resident's next alert is not sent to it."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import requests

from chalicelib.domain.audience import ledger_key
from infra.local.token import token_from_state
from tests import delivery_events as events

TIMEOUT = 10
CENTRE = (52.9850, -1.9900)  # Cheadle: away from the demo residents and the other e2e tests' areas


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    return (round(CENTRE[0] + north_m / 111_320, 6),
            round(CENTRE[1] + east_m / (111_320 * math.cos(math.radians(CENTRE[0]))), 6))


def outbox(stack: dict[str, Any]) -> list[dict[str, Any]]:
    return list(requests.get(f"{stack['site_url']}/outbox.json", timeout=TIMEOUT).json())


def eventually(check: Callable[[], Any], what: str, seconds: float = 45) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def email_to(stack: dict[str, Any], to: str, contains: str) -> dict[str, Any] | None:
    return next((m for m in outbox(stack) if m["channel"] == "email" and to in m["to"]
                 and contains in (m["text"] or "")), None)


def signed_up(stack: dict[str, Any], point: tuple[float, float]) -> dict[str, Any]:
    site = stack["site_url"]
    email = f"feedback-e2e-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "channels": ["email"], "categories": ["crime"], "language": "en",
            "locations": [{"label": "Home", "lat": point[0], "lng": point[1]}], "age_confirmed": True, "consent": True}
    assert requests.post(f"{site}/v1/signup", json=body, timeout=TIMEOUT).status_code == 202
    link = eventually(lambda: email_to(stack, email, "verify.html"), "the verify email")
    token = re.search(r"verify\.html\?token=([^\s&\"]+)", link["text"]).group(1)  # type: ignore[union-attr]
    verified = requests.post(f"{site}/v1/verify", json={"token": token}, timeout=TIMEOUT)
    assert verified.status_code == 200, verified.text
    session = {"Authorization": f"Bearer {verified.json()['session']}"}
    account = requests.get(f"{site}/v1/me", headers=session, timeout=TIMEOUT).json()
    return {"id": account["id"], "email": email}


def send_alert(stack: dict[str, Any], officer: dict[str, str], reference: str) -> dict[str, Any]:
    site = stack["site_url"]
    alert = requests.post(f"{site}/v1/alerts", headers=officer, timeout=TIMEOUT, json={
        "title": "Thefts from sheds", "category": "crime", "priority": "normal",
        "body": "Garden tools were taken from several sheds overnight. Please check yours is locked.",
        "incident_ref": reference, "contact": {"phone": "101"}, "channels": ["email"],
        "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 800}})
    assert alert.status_code == 201, alert.text
    alert_id = alert.json()["id"]
    sent = requests.post(f"{site}/v1/alerts/{alert_id}/send", headers=officer, timeout=TIMEOUT)
    assert sent.status_code == 200, sent.text
    return dict(eventually(lambda: (state := read(stack, officer, alert_id))["status"] == "sent" and state,
                           "the alert to be sent"))


def read(stack: dict[str, Any], officer: dict[str, str], alert_id: str) -> dict[str, Any]:
    return dict(requests.get(f"{stack['site_url']}/v1/alerts/{alert_id}", headers=officer, timeout=TIMEOUT).json())


def test_ses_delivery_and_bounce_events_published_to_the_topic_show_and_suppress(
        local_stack: dict[str, Any]) -> None:
    officer = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    arriving = signed_up(local_stack, offset(200, 100))
    bouncing = signed_up(local_stack, offset(-300, 250))
    reference = f"FB/{uuid.uuid4().hex[:8].upper()}"
    first = send_alert(local_stack, officer, reference)
    assert first["progress"]["email"]["sent"] == 2 and first["progress"]["email"]["delivered"] == 0

    # The message ids SES gave the two emails, as the outbox (the emulator's SES) shows them.
    mail = {who["email"]: eventually(lambda who=who: email_to(local_stack, who["email"], "Garden tools"),
                                     "the alert email") for who in (arriving, bouncing)}
    sns = boto3.client("sns", endpoint_url=local_stack["endpoint"], region_name=local_stack.get("region", "eu-west-2"),
                       aws_access_key_id="local", aws_secret_access_key="local")  # the emulator takes any key
    topic = local_stack["stack"]["topic_arns"]["ses-events"]

    delivered = events.ses_delivery(mail[arriving["email"]]["id"], arriving["email"], first["id"],
                                    ledger_key("email", arriving["id"]))
    sns.publish(TopicArn=topic, Message=events.sns_envelope(topic, delivered)["Message"])
    progress = eventually(lambda: (p := read(local_stack, officer, first["id"])["progress"]["email"])["delivered"]
                          == 1 and p, "the delivery to show in the officer's progress")
    assert progress["sent"] == 2 and progress["queued"] == 0

    bounced = events.ses_bounce(mail[bouncing["email"]]["id"], bouncing["email"], first["id"],
                                ledger_key("email", bouncing["id"]))
    sns.publish(TopicArn=topic, Message=events.sns_envelope(topic, bounced)["Message"])
    progress = eventually(lambda: (p := read(local_stack, officer, first["id"])["progress"]["email"])["bounced"]
                          == 1 and p, "the bounce to show in the officer's progress")
    assert (progress["sent"], progress["delivered"]) == (1, 1)

    # What the resident sees: their next alert does not come to the bouncing address; the other resident's does.
    second_reference = f"FB/{uuid.uuid4().hex[:8].upper()}"
    second = send_alert(local_stack, officer, second_reference)
    assert second["progress"]["email"]["suppressed"] == 1 and second["progress"]["email"]["sent"] == 1
    eventually(lambda: email_to(local_stack, arriving["email"], second_reference.replace("/", " / "))
               or email_to(local_stack, arriving["email"], second_reference), "the second alert")
    spellings = (second_reference, second_reference.replace("/", " / "))
    assert not [m for m in outbox(local_stack) if bouncing["email"] in m["to"] and m["channel"] == "email"
                and any(spelling in (m["text"] or "") for spelling in spellings)]
