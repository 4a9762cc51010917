"""Every kind of bad input to every endpoint gets a 4xx JSON error naming the field, never a 500."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from chalicelib import bootstrap

from .residents_helpers import ResidentApi, make_api, signup_body

DEEP = ('{"a":' * 5000 + "1" + "}" * 5000).encode()
OVERSIZE = json.dumps({"name": "x" * 70_000}).encode()


@pytest.fixture(scope="module")
def api(emulator) -> Iterator[ResidentApi]:  # type: ignore[no-untyped-def]
    os.environ["HEXWATCH_RATE_LIMITS"] = json.dumps({"signup.ip": [100_000, 3600], "verify.ip": [100_000, 3600],
                                                     "signin.ip": [100_000, 3600]})
    yield make_api(emulator.prefix)
    os.environ.pop("HEXWATCH_RATE_LIMITS", None)
    bootstrap.reset()


@pytest.fixture(scope="module")
def session(api: ResidentApi) -> str:
    return api.signed_up_and_verified()[1]


def raw(api: ResidentApi, method: str, path: str, body: bytes, session: str | None = None,
        content_type: str = "application/json") -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Content-Type": content_type}
    if session:
        headers["Authorization"] = f"Bearer {session}"
    response = api.client.http.request(method, path, headers=headers, body=body)
    assert response.headers["Content-Type"].startswith("application/json"), response.body
    return response.status_code, json.loads(response.body)


ENDPOINTS = [
    ("POST", "/v1/signup", False),
    ("POST", "/v1/verify", False),
    ("POST", "/v1/session", False),
    ("POST", "/v1/signin", False),
    ("PATCH", "/v1/me", True),
    ("POST", "/v1/me/devices", True),
    ("POST", "/v1/unsubscribe?token=x", False),
]

MALFORMED = [
    ("oversize", OVERSIZE, 413),
    ("not an object", b"[1, 2, 3]", 400),
    ("deep nesting", DEEP, 400),
    ("malformed JSON", b'{"email": ', 400),
]


@pytest.mark.parametrize(("method", "path", "signed_in"), ENDPOINTS)
@pytest.mark.parametrize(("kind", "body", "status"), MALFORMED)
def test_bodies_that_cannot_be_read_are_refused(api: ResidentApi, session: str, method: str, path: str,
                                                signed_in: bool, kind: str, body: bytes, status: int) -> None:
    code, error = raw(api, method, path, body, session if signed_in else None)
    assert code == status, (kind, error)
    assert error["errors"] and error["errors"][0]["pointer"] == "" and error["message"]


# (endpoint, body, the field that must be named) for missing, wrong type, out of range and unknown fields.
VALID_SIGNUP = signup_body()
FIELD_CASES = [
    ("POST", "/v1/signup", {k: v for k, v in VALID_SIGNUP.items() if k != "consent"}, "/consent"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "categories": "crime"}, "/categories"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "locations": [{"label": "Home", "lat": 52.8, "lng": 179.0}]},
     "/locations/0/lng"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "shoe_size": 9}, "/shoe_size"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "phone": "12"}, "/phone"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "email": "jo@example"}, "/email"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "locations": [{"label": "Home", "postcode": "ZZ9 9ZZ"}]},
     "/locations/0/postcode"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "channels": ["sms"]}, "/channels/0"),
    ("POST", "/v1/signup", {**VALID_SIGNUP, "business_sectors": ["retail"]}, "/business_sectors"),
    ("POST", "/v1/verify", {"code": "123456"}, "/phone"),
    ("POST", "/v1/verify", {"token": 12345}, "/token"),
    ("POST", "/v1/verify", {"token": "x" * 40}, "/token"),
    ("POST", "/v1/verify", {"phone": "+447400123456", "code": "12"}, "/code"),
    ("POST", "/v1/session", {"token": "x" * 40, "extra": 1}, "/extra"),
    ("POST", "/v1/signin", {}, "/email"),
    ("POST", "/v1/signin", {"email": 7}, "/email"),
    ("PATCH", "/v1/me", {"language": "not a language tag"}, "/language"),
    ("PATCH", "/v1/me", {"locations": [{"label": "x", "lat": 95, "lng": 0}]}, "/locations/0/lat"),
    ("PATCH", "/v1/me", {"colour": "red"}, "/colour"),
    ("POST", "/v1/me/devices", {"platform": "blackberry", "token": "t" * 20}, "/platform"),
    ("POST", "/v1/me/devices", {"platform": "fcm"}, "/token"),
    ("POST", "/v1/unsubscribe?token=" + "x" * 30, {}, "/token"),
    ("POST", "/v1/unsubscribe?token=" + "x" * 30, {"categories": ["gossip"]}, "/categories/0"),
]


@pytest.mark.parametrize(("method", "path", "body", "pointer"), FIELD_CASES)
def test_each_bad_field_is_named(api: ResidentApi, session: str, method: str, path: str, body: dict,  # type: ignore[type-arg]
                                 pointer: str) -> None:
    code, error = raw(api, method, path, json.dumps(body).encode(), session if path.startswith("/v1/me") else None)
    assert 400 <= code < 500, error
    assert pointer in {e["pointer"] for e in error["errors"]}, error


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic abc", "Bearer " + "x" * 60])
def test_account_routes_need_a_valid_session(api: ResidentApi, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = api.client.http.get("/v1/me", headers=headers)
    assert response.status_code == 401 and json.loads(response.body)["code"] == "Unauthorized"


def test_a_link_token_cannot_be_used_as_a_session(api: ResidentApi) -> None:
    body = signup_body()
    api.post("/v1/signup", body)
    api.pump()
    token = api.token_from(body["email"], "verify.html")
    assert api.client.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_unknown_postcodes_in_a_lookup_name_the_field(api: ResidentApi) -> None:
    missing = api.client.http.get("/v1/geocode")
    unknown = api.client.http.get("/v1/geocode?postcode=ZZ99")
    known = api.client.http.get("/v1/geocode?postcode=ST16%202DH")
    assert missing.status_code == 400 and json.loads(missing.body)["errors"][0]["pointer"] == "/postcode"
    assert unknown.status_code == 404 and json.loads(unknown.body)["errors"][0]["pointer"] == "/postcode"
    assert json.loads(known.body)["approximate"] is True


def test_the_plain_form_without_javascript_gets_pages_not_json(api: ResidentApi) -> None:
    form = (b"email=noscript%40example.org&channels=email&categories=crime&locations%5B0%5D%5Blabel%5D=Home"
            b"&locations%5B0%5D%5Bpostcode%5D=ST16&age_confirmed=on&consent=on")
    sent = api.client.http.post("/v1/signup", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=form)
    assert sent.status_code == 303 and sent.headers["Location"] == "/signup-sent.html"
    refused = api.client.http.post("/v1/signup", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                   body=b"email=noscript%40example.org")
    assert refused.status_code == 400 and refused.headers["Content-Type"].startswith("text/html")
    assert b"Privacy notice" in refused.body and b"Go back" in refused.body


def test_rate_limits_answer_429_with_retry_after(emulator) -> None:  # type: ignore[no-untyped-def]
    os.environ["HEXWATCH_RATE_LIMITS"] = json.dumps({"signin.contact": [2, 3600], "signin.ip": [100_000, 3600]})
    try:
        limited = make_api(emulator.prefix)
        answers = [limited.post("/v1/signin", {"email": "pumped@example.org"}) for _ in range(3)]
    finally:
        os.environ.pop("HEXWATCH_RATE_LIMITS")
        bootstrap.reset()
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert 0 < int(answers[2].headers["Retry-After"]) <= 3600
    assert json.loads(answers[2].body)["code"] == "TooManyRequests"
