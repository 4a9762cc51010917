"""Surveys on the emulator: an alert asks a question; residents answer on the web page their email links to (the
answer is recorded by the page's POST, never by opening the link) and by texting the option's number; a resident who
answers again replaces their answer; the officer's counts are right, and small cells are hidden."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from chalicelib import bootstrap
from chalicelib.domain.surveys import SURVEY_LINK
from infra.local.outbox import list_messages

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .test_inbound_sms import mobile_of, text_us, texts_to
from .test_web_replies import resident_call

SURVEY = {"question": "Have you seen more vans at night lately?", "options": ["Yes", "No"]}


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def survey_token(stack: AlertStack, address: str) -> str:
    mail = next(m for m in list_messages(prefix=stack.prefix) if address in m["to"] and m["channel"] == "email")
    found = re.search(r"Yes: \S*survey\.html\?token=([^\s&\"<]+)&option=1", mail["text"])
    assert found, mail["text"]
    return unquote(found.group(1))


def answer(stack: AlertStack, token: str, option: int) -> Any:
    return resident_call(stack, "POST", "/v1/surveys/answer", {"token": token, "option": option})


def test_a_survey_collects_answers_from_email_links_and_texts_and_counts_them_once_each(stack: AlertStack) -> None:
    by_email = [stack.resident(*offset(*STAFFORD, 100 + 20 * n, 0), ["email"]) for n in range(6)]
    by_text = [stack.resident(*offset(*STAFFORD, -100 - 20 * n, 0), ["sms"]) for n in range(5)]
    alert = stack.create(channels=["email", "sms"], survey=SURVEY,
                         target={"type": "areas", "area_ids": ["stafford"]})
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    (text,) = texts_to(stack, mobile_of(by_text[0]))
    assert "Have you seen more vans at night lately? Reply 1 for Yes, 2 for No." in text

    tokens = [survey_token(stack, r.contacts[0].address) for r in by_email]
    # Opening the page records nothing (mail scanners follow every link); it shows the question.
    page = json.loads(resident_call(stack, "GET", f"/v1/surveys/page?token={tokens[0]}").body)
    assert (page["question"], page["options"], page["answer"]) == (SURVEY["question"], ["Yes", "No"], None)
    for token in tokens[:5]:
        assert answer(stack, token, 1).status_code == 200
    assert json.loads(answer(stack, tokens[0], 1).body)["replaced"] is True  # the same link used again
    assert answer(stack, tokens[5], 1).status_code == 200
    assert json.loads(answer(stack, tokens[5], 2).body)["replaced"] is True  # changed their mind: No
    for resident in by_text:
        text_us(stack, mobile_of(resident), "2")

    results = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}/survey").body)
    assert results["breakdown"]["totals"] == {"Yes": 5, "No": 6, "total": 11}
    (row,) = results["breakdown"]["rows"]
    assert row == {"area": "Stafford", "counts": {"Yes": 5, "No": 6, "total": 11}}
    # The numbers were answers, not replies: the inbox has none.
    assert json.loads(stack.call("GET", "/v1/inbox").body)["replies"] == []
    page = json.loads(resident_call(stack, "GET", f"/v1/surveys/page?token={tokens[5]}").body)
    assert page["answer"]["option"] == 2


def test_small_survey_counts_are_hidden_and_cannot_be_worked_out(stack: AlertStack) -> None:
    residents = [stack.resident(*offset(*STAFFORD, 100 + 20 * n, 0), ["email"]) for n in range(7)]
    alert = stack.create(channels=["email"], survey=SURVEY, target={"type": "areas", "area_ids": ["stafford"]})
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    for n, resident in enumerate(residents):
        assert answer(stack, survey_token(stack, resident.contacts[0].address), 1 if n < 5 else 2).status_code == 200
    shown = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}/survey").body)["breakdown"]
    assert shown["totals"]["No"] == "fewer than 5"
    assert shown["totals"]["Yes"] == "hidden" or shown["totals"]["total"] == "hidden"


def test_forged_expired_and_wrong_survey_answers_are_refused_naming_the_field(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["email"])
    alert = stack.create(channels=["email"], survey=SURVEY)
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    token = survey_token(stack, resident.contacts[0].address)
    signer = bootstrap.services().signer
    claims = signer.verify(token, SURVEY_LINK)
    expired = signer.sign(SURVEY_LINK, {k: claims[k] for k in ("sub", "a", "o", "ch")}, -1)
    for bad in (token[:-3] + "xyz", expired):
        refused = answer(stack, bad, 1)
        assert refused.status_code == 400 and json.loads(refused.body)["errors"][0]["pointer"] == "/token"
    assert "expired" in json.loads(answer(stack, expired, 1).body)["message"]
    wrong = answer(stack, token, 3)
    assert wrong.status_code == 400 and json.loads(wrong.body)["errors"][0]["pointer"] == "/option"
    no_survey = stack.create(channels=["email"])
    assert stack.call("GET", f"/v1/alerts/{no_survey['id']}/survey").status_code == 404


def test_erasure_removes_a_residents_survey_answers(stack: AlertStack) -> None:
    residents = [stack.resident(*offset(*STAFFORD, 100 + 20 * n, 0), ["email"]) for n in range(6)]
    alert = stack.create(channels=["email"], survey=SURVEY)
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    for resident in residents:
        assert answer(stack, survey_token(stack, resident.contacts[0].address), 1).status_code == 200
    assert json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}/survey").body)["breakdown"]["totals"]["total"] == 6
    bootstrap.services().residents.erase(residents[0])
    totals = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}/survey").body)["breakdown"]["totals"]
    assert totals["total"] == 5


def test_an_event_alert_is_only_for_neighbourhood_news_and_its_calendar_file_is_public_once_sent(
        stack: AlertStack) -> None:
    event = {"title": "Beat meeting", "start": "2026-12-10T19:00:00Z", "end": "2026-12-10T20:30:00Z",
             "place": "Village hall"}
    wrong = stack.call("POST", "/v1/alerts", body={**_body(), "event": event})
    assert wrong.status_code == 400 and json.loads(wrong.body)["errors"][0]["pointer"] == "/event"
    backwards = stack.call("POST", "/v1/alerts", body={**_body(), "category": "neighbourhood",
                                                       "event": {**event, "end": event["start"]}})
    assert backwards.status_code == 400 and json.loads(backwards.body)["errors"][0]["pointer"] == "/event/end"
    resident = stack.resident(*offset(*STAFFORD, 100, 0), ["email"], categories=["neighbourhood"])
    alert = stack.create(channels=["email"], category="neighbourhood", event=event)
    path = f"/v1/public/alerts/staffordshire/{alert['id']}/event.ics"
    assert stack.client.http.get(path).status_code == 404  # not sent yet
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    calendar = stack.client.http.get(path)
    assert calendar.status_code == 200 and calendar.headers["Content-Type"].startswith("text/calendar")
    assert "DTSTART;TZID=Europe/London:20261210T190000" in calendar.body.decode()
    mail = next(m for m in list_messages(prefix=stack.prefix) if resident.contacts[0].address in m["to"])
    assert "When: 10 December 2026, 19:00 GMT to 10 December 2026, 20:30 GMT" in mail["text"]
    public = json.loads(stack.client.http.get(f"/v1/public/alerts/staffordshire/{alert['id']}").body)
    assert public["event"]["place"] == "Village hall"
    # Saying you will come: the event's own question, answered by its link; the officer reads the count.
    assert "I will come: " in mail["text"]
    token = unquote(re.search(r"I will come: \S*survey\.html\?token=([^\s&]+)&option=1", mail["text"]).group(1))
    assert answer(stack, token, 1).status_code == 200
    rsvp = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}/survey").body)
    assert rsvp["options"] == ["I will come", "I cannot come"]
    assert rsvp["breakdown"]["totals"]["total"] == "fewer than 5"  # one resident: never shown as a number
    both = stack.call("POST", "/v1/alerts", body={**_body(), "category": "neighbourhood", "event": event,
                                                  "survey": SURVEY})
    assert both.status_code == 400 and json.loads(both.body)["errors"][0]["pointer"] == "/survey"


def _body() -> dict[str, Any]:
    from .alert_helpers import alert_body

    return alert_body(channels=["email"])
