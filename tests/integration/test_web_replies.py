"""Replies on the web, on the emulator: every alert email carries the resident's own signed reply link; the page shows
the alert, takes a reply for the team, and shows the team's answer when the resident opens the link again. Forged and
expired links are refused with a 400 naming /token."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from chalicelib import bootstrap
from chalicelib.domain.replies import REPLY_LINK
from infra.local.outbox import list_messages

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def resident_call(stack: AlertStack, method: str, path: str, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json", "Origin": "http://localhost:8080"}
    if method == "GET":
        return stack.client.http.get(path, headers=headers)
    return stack.client.http.post(path, headers=headers, body=json.dumps(body).encode())


def reply_token(stack: AlertStack) -> tuple[dict[str, Any], str, str]:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["email"])
    alert = stack.create(channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    address = resident.contacts[0].address
    mail = next(m for m in list_messages(prefix=stack.prefix) if address in m["to"])
    found = re.search(r"reply\.html\?token=([^\s\"&<]+)", mail["text"])
    assert found, mail["text"]
    return alert, address, unquote(found.group(1))


def test_a_resident_replies_on_the_web_and_sees_the_teams_answer(stack: AlertStack) -> None:
    alert, address, token = reply_token(stack)
    page = resident_call(stack, "GET", f"/v1/replies/page?token={token}")
    assert page.status_code == 200, page.body
    shown = json.loads(page.body)
    assert shown["alert"]["incident_ref"] == "SP-2026-1234" and shown["replies"] == []
    sent = resident_call(stack, "POST", "/v1/replies", {"token": token, "text": "I saw two men by the market."})
    assert sent.status_code == 201, sent.body
    (reply,) = json.loads(stack.call("GET", "/v1/inbox").body)["replies"]
    assert (reply["channel"], reply["alert_id"], reply["from"]["contact"]) == ("web", alert["id"], address)
    answered = stack.call("POST", f"/v1/replies/{reply['id']}/respond", body={"text": "Thank you, very helpful."})
    assert answered.status_code == 200
    stack.run_queue("transactional")
    assert any("Thank you, very helpful." in (m["text"] or "") for m in list_messages(prefix=stack.prefix)
               if address in m["to"])
    again = json.loads(resident_call(stack, "GET", f"/v1/replies/page?token={token}").body)
    (mine,) = again["replies"]
    assert mine["text"] == "I saw two men by the market."
    assert mine["answers"][0]["text"] == "Thank you, very helpful."


def test_forged_and_expired_reply_links_are_refused_naming_the_token(stack: AlertStack) -> None:
    alert, _, token = reply_token(stack)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "x" * 40):
        answer = resident_call(stack, "POST", "/v1/replies", {"token": bad, "text": "Hello"})
        assert answer.status_code == 400 and json.loads(answer.body)["errors"][0]["pointer"] == "/token"
    signer = bootstrap.services().signer
    claims = signer.verify(token, REPLY_LINK)
    expired = signer.sign(REPLY_LINK, {k: claims[k] for k in ("sub", "a", "o", "ch")}, -1)
    answer = resident_call(stack, "GET", f"/v1/replies/page?token={expired}")
    assert answer.status_code == 400 and "expired" in json.loads(answer.body)["message"]
    # A link made for a resident the alert never reached (another alert's resident, say) is refused too.
    stranger = signer.sign(REPLY_LINK, {**{k: claims[k] for k in ("o", "ch")}, "sub": "01NOBODY", "a": alert["id"]},
                           3600)
    answer = resident_call(stack, "POST", "/v1/replies", {"token": stranger, "text": "Hello"})
    assert answer.status_code == 400
    empty = resident_call(stack, "POST", "/v1/replies", {"token": token, "text": "   "})
    assert empty.status_code == 400 and json.loads(empty.body)["errors"][0]["pointer"] == "/text"
    assert json.loads(stack.call("GET", "/v1/inbox").body)["replies"] == []


def test_one_link_cannot_flood_the_inbox(stack: AlertStack) -> None:
    _, _, token = reply_token(stack)
    answers = [resident_call(stack, "POST", "/v1/replies", {"token": token, "text": f"Note {n}"}).status_code
               for n in range(11)]
    assert answers[:10] == [201] * 10 and answers[10] == 429
