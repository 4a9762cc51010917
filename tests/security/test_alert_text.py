"""Officer text cannot carry control characters or direction overrides, and an alert that cannot be rendered for one
of its channels is refused when it is created, not when it fails to send (issue 7, alert text).

Driven in-process through the Chalice test client against the emulator; each refusal is a 400 naming the field, and
no alert is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SENDER, SITE_URL
from tests.integration.alert_helpers import AlertStack, alert_body, module_alert_stack

# C0 (CR, LF, NUL, ESC, TAB), DEL, C1 (NEL, CSI) and the bidi controls: embeddings and overrides, isolates, marks.
REFUSED_EVERYWHERE = ["\r", "\x00", "\x1b", "\t", "\x7f", "\x85", "\x9b", "\u202a", "\u202e", "\u2066", "\u2069",
                      "\u200e", "\u200f", "\u061c"]
FOOTAGE = {"from": "2026-11-30T22:00:00Z", "to": "2026-12-01T06:00:00Z", "radius_m": 500}


@pytest.fixture(scope="module")
def stack(emulator) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    """One stack for the module (as `fresh_stack` deploys one per test): nearly every case here is a refusal."""
    with module_alert_stack(emulator, SENDER, SITE_URL) as alerts:
        yield alerts


def body_with(pointer: str, text: str) -> dict[str, Any]:
    body = alert_body(footage_request={**FOOTAGE, "note": "Dash-cam footage from the A34 would help."})
    if pointer == "/title":
        body["title"] = text
    elif pointer == "/body":
        body["body"] = text
    elif pointer == "/contact/text":
        body["contact"] = {**body["contact"], "text": text}
    elif pointer == "/footage_request/note":
        body["footage_request"]["note"] = text
    return body


def stored_alerts(stack: AlertStack) -> int:
    return len(json.loads(stack.call("GET", "/v1/alerts?limit=100").body)["alerts"])


def refusal(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.body
    return {e["pointer"]: e["message"] for e in json.loads(response.body)["errors"]}


@pytest.mark.parametrize("pointer", ["/title", "/body", "/contact/text", "/footage_request/note"])
def test_control_and_bidi_characters_in_officer_text_are_refused_naming_the_field(stack: AlertStack,
                                                                                  pointer: str) -> None:
    before = stored_alerts(stack)
    refused_here = REFUSED_EVERYWHERE + ([] if pointer == "/body" else ["\n"])
    for char in refused_here:
        text = f"Burglaries in Stafford{char}Bcc: everyone"
        response = stack.call("POST", "/v1/alerts", body=body_with(pointer, text))
        errors = refusal(response)
        assert list(errors) == [pointer], (repr(char), errors)
        assert "control characters" in errors[pointer]
        preview = stack.call("POST", "/v1/alerts/preview", body=body_with(pointer, text))
        assert list(refusal(preview)) == [pointer]
    assert stored_alerts(stack) == before
    if pointer == "/body":  # line feeds separate the body's paragraphs
        body = body_with("/body", "Several homes were broken into.\nPlease lock doors and windows.")
        assert stack.call("POST", "/v1/alerts", body=body).status_code == 201


def test_a_url_with_a_direction_override_is_refused(stack: AlertStack) -> None:
    before = stored_alerts(stack)
    body = alert_body(contact={"phone": "101", "url": "https://police.example/\u202egnp.exe"})
    assert list(refusal(stack.call("POST", "/v1/alerts", body=body))) == ["/contact/url"]
    assert stored_alerts(stack) == before


def test_an_sms_that_cannot_fit_its_segments_is_refused_on_create(stack: AlertStack) -> None:
    """Only a contact text, in an alphabet that makes the SMS UCS-2 (67 characters a segment): with the link to the
    full alert and the reference, which a shortened SMS always keeps, it cannot fit in three segments."""
    before = stored_alerts(stack)
    contact = {"text": "Zadzwoń do posterunku w Stafford i zapytaj o dzielnicowego, który prowadzi tę sprawę; "
                       "podaj numer zgłoszenia i swój adres, oddzwonimy."}
    response = stack.call("POST", "/v1/alerts", body=alert_body(contact=contact))
    errors = refusal(response)
    assert list(errors) == ["/contact/text"] and "segments" in errors["/contact/text"]
    assert stored_alerts(stack) == before
    # The same alert without SMS is fine: the problem is the SMS rendering, nothing else.
    assert stack.call("POST", "/v1/alerts", body=alert_body(contact=contact, channels=["email"])).status_code == 201


def test_a_push_notification_over_the_platform_limit_is_refused_on_create(stack: AlertStack) -> None:
    """Characters outside ASCII are sent as \\uXXXX escapes, an emoji as two: 12 bytes each in the APNs payload."""
    before = stored_alerts(stack)
    contact = {"phone": "101", "url": "https://police.example/" + "\U0001f6a8" * 170, "text": "\U0001f6a8" * 160}
    body = alert_body(title="\U0001f6a8" * 80, contact=contact, channels=["push"])
    errors = refusal(stack.call("POST", "/v1/alerts", body=body))
    assert list(errors) == ["/contact/url"] and "bytes" in errors["/contact/url"]
    assert stored_alerts(stack) == before


def test_an_email_subject_too_long_once_the_forces_name_is_added_is_refused_naming_the_title() -> None:
    """Pure: the title fits its 80 characters, but with "Urgent alert: " and a long force name the subject does not."""
    from datetime import UTC, datetime

    from chalicelib.domain.alert_messages import AlertLinks
    from chalicelib.domain.alerts import Source, new_alert
    from chalicelib.domain.errors import HexwatchError
    from chalicelib.services.alert_rendering import MAX_EMAIL_SUBJECT_CHARS, check_renderings

    alert = new_alert("01J00000000000000000000000", alert_body(title="T" * 80, channels=["email"]),
                      Source("officer", "staffordshire", "sub-1"), datetime(2026, 12, 1, tzinfo=UTC))
    links = AlertLinks("https://alerts.example", "https://api.alerts.example")
    check_renderings(alert, "Staffordshire Police", links, 3)  # 117 characters: fine
    long_name = "The Chief Constable of the Police Service of Somewhere With a Very Long Name"
    with pytest.raises(HexwatchError) as refused:
        check_renderings(alert, long_name, links, 3)
    assert refused.value.status == 400
    assert [e.pointer for e in refused.value.errors] == ["/title"]
    assert str(MAX_EMAIL_SUBJECT_CHARS) in refused.value.errors[0].message
