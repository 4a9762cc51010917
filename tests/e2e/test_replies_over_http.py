"""Two-way texts over the running local stack: a resident who signed up by mobile gets an SMS alert from the two-way
number, replies by text through the outbox (published to the inbound topic in the provider's shape, handed to the
handler by the event pump), the reply shows in the officer's inbox, the officer's answer reaches the resident's
phone, and STOP and START end and restore their alert texts."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from infra.local.token import token_from_state

TIMEOUT = 10
CENTRE = (52.8580, -2.2530)  # Eccleshall: away from the demo residents and the other e2e tests' areas


def point(north_m: float, east_m: float) -> tuple[float, float]:
    return (round(CENTRE[0] + north_m / 111_320, 6),
            round(CENTRE[1] + east_m / (111_320 * math.cos(math.radians(CENTRE[0]))), 6))


def eventually(check: Callable[[], Any], what: str, seconds: float = 45) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def texts_to(stack: dict[str, Any], number: str) -> list[str]:
    messages = requests.get(f"{stack['site_url']}/outbox.json", params={"channel": "sms", "to": number},
                            timeout=TIMEOUT).json()
    return [m["text"] for m in messages]


def text_us(stack: dict[str, Any], number: str, text: str) -> None:
    answer = requests.post(f"{stack['site_url']}/outbox/sms", json={"from": number, "text": text}, timeout=TIMEOUT)
    assert answer.status_code == 202, answer.text


def signed_up_by_mobile(stack: dict[str, Any]) -> str:
    site = stack["site_url"]
    mobile = f"+44742{uuid.uuid4().int % 10**7:07d}".replace("99", "98")  # the emulator opts out ...99
    lat, lng = point(150, -100)
    body = {"phone": mobile, "channels": ["sms"], "categories": ["crime"], "language": "en",
            "locations": [{"label": "Home", "lat": lat, "lng": lng}], "age_confirmed": True, "consent": True}
    assert requests.post(f"{site}/v1/signup", json=body, timeout=TIMEOUT).status_code == 202
    sms = eventually(lambda: next((t for t in texts_to(stack, mobile) if re.search(r"\b\d{6}\b", t)), None),
                     "the verification code")
    code = re.search(r"\b(\d{6})\b", sms).group(1)  # type: ignore[union-attr]
    verified = requests.post(f"{site}/v1/verify", json={"phone": mobile, "code": code}, timeout=TIMEOUT)
    assert verified.status_code == 200, verified.text
    return mobile


def send_sms_alert(stack: dict[str, Any], officer: dict[str, str], reference: str) -> str:
    site = stack["site_url"]
    alert = requests.post(f"{site}/v1/alerts", headers=officer, timeout=TIMEOUT, json={
        "title": "Van seen at farms", "category": "crime", "priority": "normal",
        "body": "A white van was seen at several farms at night.", "incident_ref": reference,
        "contact": {"phone": "101"}, "channels": ["sms"],
        "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 600}})
    assert alert.status_code == 201, alert.text
    alert_id = str(alert.json()["id"])
    assert requests.post(f"{site}/v1/alerts/{alert_id}/send", headers=officer, timeout=TIMEOUT).status_code == 200
    eventually(lambda: requests.get(f"{site}/v1/alerts/{alert_id}", headers=officer, timeout=TIMEOUT)
               .json()["status"] == "sent", "the alert to be sent")
    return alert_id


def test_a_text_reply_reaches_the_inbox_the_answer_reaches_the_phone_and_stop_start_work(
        local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    officer = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    mobile = signed_up_by_mobile(local_stack)
    reference = f"TW/{uuid.uuid4().hex[:6].upper()}"
    alert_id = send_sms_alert(local_stack, officer, reference)
    alert_text = eventually(lambda: next((t for t in texts_to(local_stack, mobile) if reference in t), None),
                            "the alert text")
    assert alert_text.endswith("Reply STOP to opt out.")

    # A reply by text, and one from a number the alert never reached.
    text_us(local_stack, mobile, f"The van was outside Oak Farm {reference}")
    text_us(local_stack, "+447429000555", "Hello?")

    def my_reply() -> dict[str, Any] | None:
        page = requests.get(f"{site}/v1/inbox", params={"alert": alert_id}, headers=officer, timeout=TIMEOUT).json()
        return next((r for r in page["replies"] if reference in r["text"]), None)

    reply = eventually(my_reply, "the reply in the officer's inbox")
    assert reply["channel"] == "sms" and reply["from"]["contact"] == mobile
    page = requests.get(f"{site}/v1/inbox", params={"alert": alert_id}, headers=officer, timeout=TIMEOUT).json()
    assert [r["text"] for r in page["replies"]] == [reply["text"]]  # the stranger's text is not stored

    answered = requests.post(f"{site}/v1/replies/{reply['id']}/respond", headers=officer, timeout=TIMEOUT,
                             json={"text": "Thank you. An officer will ring you today."})
    assert answered.status_code == 200, answered.text
    eventually(lambda: any("An officer will ring you today." in t for t in texts_to(local_stack, mobile)),
               "the answer on the resident's phone")

    # STOP: one confirmation, and the next alert does not come by text.
    text_us(local_stack, mobile, "STOP")
    eventually(lambda: "no more text alerts" in texts_to(local_stack, mobile)[0], "the STOP confirmation")
    second = f"TW/{uuid.uuid4().hex[:6].upper()}"
    send_sms_alert(local_stack, officer, second)
    time.sleep(1)
    assert not [t for t in texts_to(local_stack, mobile) if second in t]
    assert len([t for t in texts_to(local_stack, mobile) if "no more text alerts" in t]) == 1

    # START: texts come back.
    text_us(local_stack, mobile, "START")
    eventually(lambda: "on again" in texts_to(local_stack, mobile)[0], "the START confirmation")
    third = f"TW/{uuid.uuid4().hex[:6].upper()}"
    send_sms_alert(local_stack, officer, third)
    eventually(lambda: any(third in t for t in texts_to(local_stack, mobile)), "the alert after START")


def test_replies_by_email_text_and_web_all_reach_the_inbox_and_a_strangers_do_not(
        local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    officer = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    mobile = f"+44743{uuid.uuid4().int % 10**7:07d}".replace("99", "98")
    email = f"three-ways-{uuid.uuid4().hex[:8]}@example.org"
    lat, lng = point(-200, 150)
    body = {"email": email, "phone": mobile, "channels": ["email", "sms"], "categories": ["crime"], "language": "en",
            "locations": [{"label": "Home", "lat": lat, "lng": lng}], "age_confirmed": True, "consent": True}
    assert requests.post(f"{site}/v1/signup", json=body, timeout=TIMEOUT).status_code == 202
    code_text = eventually(lambda: next((t for t in texts_to(local_stack, mobile) if re.search(r"\b\d{6}\b", t)),
                                        None), "the verification code")
    code = re.search(r"\b(\d{6})\b", code_text).group(1)  # type: ignore[union-attr]
    assert requests.post(f"{site}/v1/verify", json={"phone": mobile, "code": code}, timeout=TIMEOUT).status_code == 200
    link = eventually(lambda: next((m for m in requests.get(f"{site}/outbox.json", params={"to": email},
                                                              timeout=TIMEOUT).json()
                                    if "verify.html" in (m["text"] or "")), None), "the verify email")
    token = re.search(r"verify\.html\?token=([^\s&\"]+)", link["text"]).group(1)  # type: ignore[union-attr]
    assert requests.post(f"{site}/v1/verify", json={"token": token}, timeout=TIMEOUT).status_code == 200

    reference = f"TW/{uuid.uuid4().hex[:6].upper()}"
    site_alert = requests.post(f"{site}/v1/alerts", headers=officer, timeout=TIMEOUT, json={
        "title": "Van seen at farms", "category": "crime", "priority": "normal",
        "body": "A white van was seen at several farms at night.", "incident_ref": reference,
        "contact": {"phone": "101"}, "channels": ["email", "sms"],
        "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 600}})
    alert_id = site_alert.json()["id"]
    assert requests.post(f"{site}/v1/alerts/{alert_id}/send", headers=officer, timeout=TIMEOUT).status_code == 200
    mail = eventually(lambda: next((m for m in requests.get(f"{site}/outbox.json",
                                                            params={"to": email, "alert": alert_id},
                                                            timeout=TIMEOUT).json()), None), "the alert email")
    eventually(lambda: any(reference in t for t in texts_to(local_stack, mobile)), "the alert text")

    # By email (as the resident's mail program would), by text, and on the web from the email's own link.
    reply_to = mail["headers"]["Reply-To"]
    sent = requests.post(f"{site}/outbox/email", timeout=TIMEOUT,
                         json={"from": email, "to": reply_to, "text": "Emailed: it was red.", "quoted": mail["text"]})
    assert sent.status_code == 202, sent.text
    text_us(local_stack, mobile, "Texted: it had a ladder on top.")
    web_token = re.search(r"reply\.html\?token=([^\s&\"]+)", mail["text"]).group(1)  # type: ignore[union-attr]
    web = requests.post(f"{site}/v1/replies", json={"token": web_token, "text": "On the web: two men."},
                        timeout=TIMEOUT)
    assert web.status_code == 201, web.text
    # A stranger writes to the same reply address: not stored.
    stranger = requests.post(f"{site}/outbox/email", timeout=TIMEOUT,
                             json={"from": "nosy@example.net", "to": reply_to, "text": "Stranger here."})
    assert stranger.status_code == 202

    def all_three() -> dict[str, str] | None:
        page = requests.get(f"{site}/v1/inbox", params={"alert": alert_id}, headers=officer, timeout=TIMEOUT).json()
        found = {r["channel"]: r["text"] for r in page["replies"]}
        return found if len(found) == 3 else None

    found = eventually(all_three, "the three replies in the inbox")
    assert found == {"email": "Emailed: it was red.", "sms": "Texted: it had a ladder on top.",
                     "web": "On the web: two men."}
    time.sleep(2)  # the stranger's mail has had its turn through the pump
    page = requests.get(f"{site}/v1/inbox", params={"alert": alert_id}, headers=officer, timeout=TIMEOUT).json()
    assert not [r for r in page["replies"] if "Stranger" in r["text"]]
