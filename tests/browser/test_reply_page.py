"""Replying to an alert, in a real browser against the local stack: on the web from the link in the alert email (and
reading the team's answer there later), and by email through the outbox's "reply as this resident" form."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from infra.local.token import token_from_state
from tests.browser.axe_helpers import assert_no_violations
from tests.browser.conftest import has_token_link, link_to, open_outbox, wait_for_message

POINT = (52.7730, -2.0950)  # south of Stafford, clear of the demo residents and the other browser tests


def signed_up(site_url: str) -> str:
    email = f"reply-{uuid.uuid4().hex[:12]}@example.com"
    response = requests.post(f"{site_url}/v1/signup", timeout=10, json={
        "email": email, "channels": ["email"], "categories": ["crime"],
        "locations": [{"label": "Home", "lat": POINT[0], "lng": POINT[1]}], "age_confirmed": True, "consent": True})
    assert response.status_code == 202, response.text
    message = wait_for_message(site_url, email, has_token_link("/verify.html"), "confirmation email")
    token = parse_qs(urlsplit(link_to(message, "/verify.html")).query)["token"][0]
    assert requests.post(f"{site_url}/v1/verify", json={"token": token}, timeout=10).status_code == 200
    return email


def sent_alert(stack: dict[str, Any], officer: dict[str, str], reference: str) -> str:
    site = stack["site_url"]
    created = requests.post(f"{site}/v1/alerts", headers=officer, timeout=10, json={
        "title": "Catalytic converter thefts", "category": "crime", "priority": "normal",
        "body": "Converters were cut from cars overnight. Tell us if you saw anything.", "incident_ref": reference,
        "contact": {"phone": "101"}, "channels": ["email"],
        "target": {"type": "circle", "center": {"lat": POINT[0], "lng": POINT[1]}, "radius_m": 500}})
    assert created.status_code == 201, created.text
    alert_id = str(created.json()["id"])
    assert requests.post(f"{site}/v1/alerts/{alert_id}/send", headers=officer, timeout=10).status_code == 200
    return alert_id


def inbox_reply(stack: dict[str, Any], officer: dict[str, str], alert_id: str, channel: str) -> dict[str, Any]:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        page = requests.get(f"{stack['site_url']}/v1/inbox", params={"alert": alert_id}, headers=officer,
                            timeout=10).json()
        found = [r for r in page["replies"] if r["channel"] == channel]
        if found:
            return dict(found[0])
        time.sleep(0.5)
    raise AssertionError(f"no {channel} reply in the inbox")


def test_a_resident_replies_on_the_web_and_by_email_and_reads_the_answer(page: Any, stack: dict[str, Any]) -> None:
    site = stack["site_url"]
    officer = {"Authorization": f"Bearer {token_from_state(stack, 'demo-officer@hexwatch.example')}"}
    email = signed_up(site)
    reference = f"RP/{uuid.uuid4().hex[:6].upper()}"
    alert_id = sent_alert(stack, officer, reference)
    message = wait_for_message(site, email, has_token_link("/reply.html"), "the alert email")

    page.goto(link_to(message, "/reply.html"))
    page.locator("#alert-panel").wait_for(state="visible")
    assert page.locator("#alert-reference").inner_text() == reference
    assert_no_violations(page, "reply.html with an alert")
    page.get_by_role("button", name="Send to the team").click()
    page.locator("#error-summary").wait_for(state="visible")  # nothing written yet: the field is named
    assert "Write what you want to tell the team" in page.locator("#error-summary").inner_text()
    page.get_by_label("Your information").fill("A grey hatchback waited by the garages at 3am.")
    page.get_by_role("button", name="Send to the team").click()
    page.locator("#sent-panel").wait_for(state="visible")
    page.locator("#history-list li").first.wait_for()

    reply = inbox_reply(stack, officer, alert_id, "web")
    assert reply["text"] == "A grey hatchback waited by the garages at 3am."
    answer = requests.post(f"{site}/v1/replies/{reply['id']}/respond", headers=officer, timeout=10,
                           json={"text": "Thank you. Did you see the number plate?"})
    assert answer.status_code == 200, answer.text
    wait_for_message(site, email, lambda m: "Did you see the number plate?" in (m.get("text") or ""),
                     "the answer by email")
    page.reload()
    page.locator("#history-list").filter(has_text="Did you see the number plate?").wait_for()

    # By email: the outbox's form replies to the alert email as the resident's mail program would.
    open_outbox(page, f"{site}/outbox/?channel=email&to={email}&alert={alert_id}")
    page.get_by_label(f"Reply from {email}").first.fill("It was a Ford, plate starting WR.")
    page.get_by_role("button", name="Send the reply").first.click()
    emailed = inbox_reply(stack, officer, alert_id, "email")
    assert emailed["text"] == "It was a Ford, plate starting WR."
