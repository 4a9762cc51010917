"""A resident over real HTTP against the running local stack: the site's /v1 proxy, the API, the event pump,
the emulator's SES and SNS, and the outbox."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import requests

TIMEOUT = 10


def wait_for(stack: dict[str, Any], to: str, channel: str, contains: str, seconds: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in requests.get(f"{stack['site_url']}/outbox.json", timeout=TIMEOUT).json():
            if message["channel"] == channel and to in message["to"] and contains in (message["text"] or ""):
                return dict(message)
        time.sleep(0.3)
    raise AssertionError(f"no {channel} to {to} containing {contains!r} within {seconds} s")


def test_signup_by_mobile_and_email_confirm_by_code_and_leave_in_one_click(local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
    mobile = f"+44741{uuid.uuid4().int % 10**7:07d}".replace("99", "98")
    signup = requests.post(f"{site}/v1/signup", timeout=TIMEOUT, json={
        "email": email, "phone": mobile, "channels": ["email", "sms"], "categories": ["crime", "rural"],
        "groups": ["horse", "farm"], "language": "en",
        "locations": [{"label": "Home", "postcode": "ST16"}, {"label": "Stables", "lat": 52.75, "lng": -2.0}],
        "age_confirmed": True, "consent": True})
    assert signup.status_code == 202, signup.text
    assert signup.json()["locations"][0]["approximate"] is True

    # The event pump hands the queued job to the worker, which texts a code and emails a link.
    sms = wait_for(local_stack, mobile, "sms", "code")
    code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)  # type: ignore[union-attr]
    wait_for(local_stack, email, "email", "verify.html")
    verified = requests.post(f"{site}/v1/verify", json={"phone": mobile, "code": code}, timeout=TIMEOUT)
    assert verified.status_code == 200, verified.text
    session = {"Authorization": f"Bearer {verified.json()['session']}"}
    me = requests.get(f"{site}/v1/me", headers=session, timeout=TIMEOUT).json()
    assert me["status"] == "active" and me["reachable_channels"] == ["sms"]  # the email is not confirmed yet

    link = wait_for(local_stack, email, "email", "verify.html")
    token = re.search(r"verify\.html\?token=([^\s&\"]+)", link["text"]).group(1)  # type: ignore[union-attr]
    assert requests.post(f"{site}/v1/verify", json={"token": token}, timeout=TIMEOUT).status_code == 200
    me = requests.get(f"{site}/v1/me", headers=session, timeout=TIMEOUT).json()
    assert me["reachable_channels"] == ["email", "sms"]

    welcome = wait_for(local_stack, email, "email", "Unsubscribe")
    unsubscribe_url = welcome["headers"]["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith(site)
    one_click = requests.post(unsubscribe_url, data={"List-Unsubscribe": "One-Click"}, timeout=TIMEOUT)
    assert one_click.status_code == 200
    me = requests.get(f"{site}/v1/me", headers=session, timeout=TIMEOUT).json()
    assert me["channels"] == ["sms"] and me["status"] == "active"  # leaving by email keeps the texts coming


def test_bad_input_through_the_proxy_is_a_json_4xx(local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    deep = requests.post(f"{site}/v1/signup", data='{"a":' * 3000 + "1" + "}" * 3000, timeout=TIMEOUT,
                         headers={"Content-Type": "application/json"})
    big = requests.post(f"{site}/v1/signup", data="{" + '"x":"' + "y" * 70_000 + '"}', timeout=TIMEOUT,
                        headers={"Content-Type": "application/json"})
    assert deep.status_code == 400 and deep.json()["errors"][0]["pointer"] == ""
    assert big.status_code == 413


def test_a_contact_that_asks_too_often_is_told_to_wait(local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    email = f"pump-{uuid.uuid4().hex[:8]}@example.org"
    answers = [requests.post(f"{site}/v1/signin", json={"email": email}, timeout=TIMEOUT) for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [202] * 5
    assert answers[5].status_code == 429 and int(answers[5].headers["Retry-After"]) > 0
