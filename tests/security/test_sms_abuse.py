"""SMS pumping and cross-site requests (issue 7, Deliver 4), in-process through Chalice's test client on the emulator.

Each refusal is checked by its status, its error body's pointer, and the absence of any side effect: no job on the
transactional queue, no text sent, nothing stored or changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.models import ContactModel, SubscriberModel
from chalicelib.observability import metrics
from chalicelib.services.sms_budget import COUNTED_METRIC, REFUSED_METRIC
from infra.local.outbox import list_messages
from tests.integration.residents_helpers import (
    ResidentApi,
    generous_resident_api,
    make_api,
    signup_body,
    unique_email,
    unique_mobile,
)

SITE_ORIGIN = "http://localhost:8080"  # tests/conftest.py's SITE_URL, which is also the API's URL there
CROSS_SITE = {"Sec-Fetch-Site": "cross-site"}
FOREIGN_ORIGIN = {"Origin": "https://evil.example"}
FORM = "application/x-www-form-urlencoded"
IRISH_MOBILE, JERSEY_MOBILE = "+353871234567", "+447797712345"


@pytest.fixture
def api(emulator, fresh_stack) -> Iterator[ResidentApi]:  # type: ignore[no-untyped-def]
    settings = ("HEXWATCH_TRANSACTIONAL_SMS_PER_HOUR", "HEXWATCH_SMS_COUNTRIES")  # the cases set their own
    with generous_resident_api(fresh_stack, settings) as api:
        yield api


def rewired(api: ResidentApi, **settings: str) -> ResidentApi:
    """The same stack, with the app wired afresh from changed settings (as a new Lambda container would be)."""
    os.environ.update(settings)
    return make_api(api.prefix)


def stored() -> tuple[int, int]:
    bootstrap.bound_tables()  # a request refused before any service ran has not bound the models yet
    return len(list(SubscriberModel.scan())), len(list(ContactModel.scan()))


def texts_sent(api: ResidentApi, numbers: list[str]) -> list[dict[str, Any]]:
    """Texts to these numbers (the emulator's SMS log is shared by every stack in the session)."""
    return [m for m in list_messages(prefix=api.prefix) if m["channel"] == "sms" and set(m["to"]) & set(numbers)]


def error_of(response: Any) -> tuple[int, str, list[str]]:
    body = json.loads(response.body)
    return response.status_code, body["code"], [e["pointer"] for e in body["errors"]]


def form_body(body: dict[str, Any]) -> bytes:
    fields: list[tuple[str, str]] = []
    for key, value in body.items():
        if key == "locations":
            for index, location in enumerate(value):
                fields += [(f"locations[{index}][{name}]", str(item)) for name, item in location.items()]
        elif isinstance(value, list):
            fields += [(key, item) for item in value]
        elif isinstance(value, bool):
            fields.append((key, "on" if value else ""))
        else:
            fields.append((key, str(value)))
    return urlencode(fields).encode()


# --- countries


@pytest.mark.parametrize("number", [IRISH_MOBILE, JERSEY_MOBILE])
def test_a_signup_with_a_mobile_outside_the_sms_countries_is_refused_naming_phone(api: ResidentApi,
                                                                                   number: str) -> None:
    response = api.post("/v1/signup", signup_body(email=None, phone=number, channels=["sms"]))
    assert error_of(response) == (400, "ValidationError", ["/phone"])
    assert "mobile numbers in the UK" in json.loads(response.body)["message"]
    assert api.queued_jobs() == [] and stored() == (0, 0) and texts_sent(api, [number]) == []


def test_a_signin_by_a_foreign_mobile_is_refused_naming_phone(api: ResidentApi) -> None:
    response = api.post("/v1/signin", {"phone": IRISH_MOBILE})
    assert error_of(response) == (400, "ValidationError", ["/phone"])
    assert api.queued_jobs() == [] and texts_sent(api, [IRISH_MOBILE]) == []


def test_the_worker_does_not_text_a_number_outside_the_countries_stored_before_they_narrowed(api: ResidentApi) -> None:
    islands = rewired(api, HEXWATCH_SMS_COUNTRIES="GB,JE")
    assert islands.post("/v1/signup", signup_body(email=None, phone=JERSEY_MOBILE, channels=["sms"])).status_code \
        == 202
    jobs = islands.queued_jobs()
    assert len(jobs) == 1
    uk_only = rewired(api, HEXWATCH_SMS_COUNTRIES="GB")
    uk_only.deliver(jobs)
    assert texts_sent(api, [JERSEY_MOBILE]) == [] and uk_only.queued_jobs() == []


# --- the hourly budget


def test_past_the_hourly_budget_sms_signups_get_429_naming_phone_and_email_still_works(api: ResidentApi) -> None:
    budget = 3
    limited = rewired(api, HEXWATCH_TRANSACTIONAL_SMS_PER_HOUR=str(budget))
    # The local stage switches metrics off, and then Powertools keeps them rather than printing them: read them there.
    metrics.clear_metrics()
    numbers = [unique_mobile() for _ in range(budget + 2)]
    answers = [limited.post("/v1/signup", signup_body(email=None, phone=n, channels=["sms"])) for n in numbers]
    assert [a.status_code for a in answers] == [202] * budget + [429, 429]
    refused = answers[budget]
    assert error_of(refused) == (429, "TooManyRequests", ["/phone"])
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert stored() == (budget, budget), "a refused signup stores nothing"

    assert limited.post("/v1/signin", {"phone": numbers[0]}).status_code == 429  # sign-in by phone is charged too
    email = unique_email()
    assert limited.post("/v1/signup", signup_body(email=email)).status_code == 202
    assert limited.post("/v1/signin", {"email": email}).status_code == 202
    limited.pump()
    sent = texts_sent(api, numbers)
    assert len(sent) == budget
    assert {number for m in sent for number in m["to"]} == set(numbers[:budget])
    assert limited.messages_to(email, "email"), "email goes on past the SMS budget"
    emitted = {name: len(metric["Value"]) for name, metric in metrics.metric_set.items()}
    assert emitted[COUNTED_METRIC] == budget and emitted[REFUSED_METRIC] == 3, emitted


# --- cross-site requests


def _signed_up(api: ResidentApi) -> tuple[dict[str, Any], str, str]:
    """A verified resident with a session, and a fresh sign-in link token; the queue left empty."""
    body, session = api.signed_up_and_verified()
    assert api.post("/v1/signin", {"email": body["email"]}).status_code == 202
    api.pump()
    return body, session, api.token_from(body["email"], "signin.html")


def test_cross_site_signups_are_refused_as_json_and_as_a_form(api: ResidentApi) -> None:
    body = signup_body(phone=unique_mobile(), channels=["email", "sms"])
    for headers in (CROSS_SITE, FOREIGN_ORIGIN, {**CROSS_SITE, "Origin": SITE_ORIGIN}):
        assert error_of(api.post("/v1/signup", body, headers)) == (403, "Forbidden", [""]), headers
        form = api.post("/v1/signup", form_body(body), {**headers, "Content-Type": FORM})
        assert error_of(form) == (403, "Forbidden", [""]), headers
    assert api.queued_jobs() == [] and stored() == (0, 0)


def test_cross_site_verify_session_and_signin_are_refused(api: ResidentApi) -> None:
    body = signup_body()
    assert api.post("/v1/signup", body).status_code == 202
    api.pump()
    verify_token = api.token_from(body["email"], "verify.html")
    for path in ("/v1/verify", "/v1/session"):
        assert error_of(api.post(path, {"token": verify_token}, CROSS_SITE)) == (403, "Forbidden", [""]), path
        assert error_of(api.post(path, {"token": verify_token}, FOREIGN_ORIGIN)) == (403, "Forbidden", [""]), path
    form = api.post("/v1/verify", urlencode({"token": verify_token}).encode(), {**CROSS_SITE, "Content-Type": FORM})
    assert error_of(form) == (403, "Forbidden", [""])
    (contact,) = list(ContactModel.scan())
    assert not contact.verified, "a refused verification verifies nothing"

    for signin in ({"email": body["email"]}, {"phone": unique_mobile()}):
        assert error_of(api.post("/v1/signin", signin, CROSS_SITE)) == (403, "Forbidden", [""])
        assert error_of(api.post("/v1/signin", signin, FOREIGN_ORIGIN)) == (403, "Forbidden", [""])
    assert api.queued_jobs() == []


def test_cross_site_requests_cannot_read_change_or_erase_an_account(api: ResidentApi) -> None:
    body, session, _ = _signed_up(api)
    before = json.loads(api.request("GET", "/v1/me", session).body)
    auth = {"Authorization": f"Bearer {session}", "Content-Type": "application/json"}
    for headers in (CROSS_SITE, FOREIGN_ORIGIN):
        read = api.client.http.get("/v1/me", headers={**auth, **headers})
        assert error_of(read) == (403, "Forbidden", [""])
        assert body["email"] not in read.body.decode()
        change = api.client.http.patch("/v1/me", headers={**auth, **headers},
                                       body=json.dumps({"name": "Changed", "categories": ["rural"]}).encode())
        assert error_of(change) == (403, "Forbidden", [""])
        erase = api.client.http.delete("/v1/me", headers={**auth, **headers})
        assert error_of(erase) == (403, "Forbidden", [""])
    assert json.loads(api.request("GET", "/v1/me", session).body) == before
    assert stored() == (1, 1) and api.queued_jobs() == []


@pytest.mark.parametrize("headers", [
    {"Origin": SITE_ORIGIN, "Sec-Fetch-Site": "same-origin"},
    {"Origin": SITE_ORIGIN},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "none"},
    {},
], ids=["site-origin", "site-origin-no-fetch-metadata", "same-site", "typed", "neither-header"])
def test_the_sites_own_pages_and_callers_without_either_header_pass(api: ResidentApi,
                                                                    headers: dict[str, str]) -> None:
    body = signup_body()
    assert api.post("/v1/signup", body, headers).status_code == 202
    assert len(api.queued_jobs()) == 1 and stored() == (1, 1)


def test_one_click_unsubscribe_from_a_mail_client_works_whatever_the_origin(api: ResidentApi) -> None:
    body, session, _ = _signed_up(api)
    token = api.token_from(body["email"], "unsubscribe.html")
    response = api.client.http.post(f"/v1/unsubscribe?token={token}",
                                    headers={"Content-Type": FORM, **FOREIGN_ORIGIN, **CROSS_SITE},
                                    body=b"List-Unsubscribe=One-Click")
    assert response.status_code == 200
    assert json.loads(api.request("GET", "/v1/me", session).body)["status"] == "opted_out"


def test_read_only_reference_data_stays_open_to_other_sites(api: ResidentApi) -> None:
    assert api.client.http.get("/v1/reference", headers={**CROSS_SITE, **FOREIGN_ORIGIN}).status_code == 200
