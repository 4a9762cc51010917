"""Resident links and sessions, tried as an attacker would (issue 7, Deliver 5), in-process against the emulator.

Each case asserts the status, the error's pointer, and that nothing happened on the side: no session opened, no
contact moved, no profile read.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.models import ContactModel, ResidentSessionModel
from chalicelib.adapters.residents_store import ResidentStore
from chalicelib.domain.errors import HexwatchError
from chalicelib.services.residents import ResidentSettings
from infra.local.pump import scheduled_event
from tests.integration.residents_helpers import (
    ResidentApi,
    generous_resident_api,
    signup_body,
    unique_email,
    unique_mobile,
)

MAX_CODE_ATTEMPTS = ResidentSettings(notice_version="any").max_code_attempts


@pytest.fixture
def api(emulator, fresh_stack) -> Iterator[ResidentApi]:  # type: ignore[no-untyped-def]
    with generous_resident_api(fresh_stack) as api:
        yield api


def body_of(response: Any) -> dict[str, Any]:
    return json.loads(response.body)  # type: ignore[no-any-return]


def pointer_of(response: Any) -> str:
    return str(body_of(response)["errors"][0]["pointer"])


def tokens_from(api: ResidentApi, address: str, page: str) -> list[str]:
    """Every token emailed to `address` in a link to `page`, oldest first (the outbox lists the newest first)."""
    return [link.split("token=")[1].split("&")[0]
            for message in reversed(api.messages_to(address, "email")) for link in message["links"]
            if f"/{page}?" in link and "token=" in link]


def subject_of(token: str) -> str:
    """The resident a link is for (the claims are signed, not secret)."""
    payload = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def me(api: ResidentApi, session: str) -> dict[str, Any]:
    response = api.request("GET", "/v1/me", session)
    assert response.status_code == 200, response.body
    return body_of(response)


def signed_in_by_link(api: ResidentApi, email: str) -> str:
    before = set(tokens_from(api, email, "signin.html"))
    assert api.post("/v1/signin", {"email": email}).status_code == 202
    api.pump()
    (token,) = [t for t in tokens_from(api, email, "signin.html") if t not in before]
    opened = api.post("/v1/session", {"token": token})
    assert opened.status_code == 200, opened.body
    return str(body_of(opened)["session"])


def sessions_of(resident_id: str) -> list[str]:
    return [item.session_id for item in ResidentSessionModel.query(resident_id, consistent_read=True)]


# --- 1. links work once


def test_a_verify_link_works_once_and_a_second_use_says_already_verified(api: ResidentApi) -> None:
    body = signup_body()
    assert api.post("/v1/signup", body).status_code == 202
    api.pump()
    (token,) = tokens_from(api, body["email"], "verify.html")
    first = api.post("/v1/verify", {"token": token})
    assert first.status_code == 200
    resident_id = me(api, body_of(first)["session"])["id"]

    again = api.post("/v1/verify", {"token": token})
    assert again.status_code == 409
    assert body_of(again)["code"] == "AlreadyVerified" and pointer_of(again) == "/token"
    assert "session" not in body_of(again)
    assert len(sessions_of(resident_id)) == 1  # the second use opened nothing


def test_a_sign_in_link_works_once(api: ResidentApi) -> None:
    body, first_session = api.signed_up_and_verified()
    resident_id = me(api, first_session)["id"]
    assert api.post("/v1/signin", {"email": body["email"]}).status_code == 202
    api.pump()
    (token,) = tokens_from(api, body["email"], "signin.html")
    assert api.post("/v1/session", {"token": token}).status_code == 200

    for route in ("/v1/session", "/v1/verify"):
        again = api.post(route, {"token": token})
        assert again.status_code == 410, again.body
        assert body_of(again)["code"] == "LinkUsed" and pointer_of(again) == "/token"
        assert "session" not in body_of(again)
    assert len(sessions_of(resident_id)) == 2  # the verification's and the one sign-in


def test_a_form_post_of_a_used_verify_link_shows_a_page_not_a_session(api: ResidentApi) -> None:
    body = signup_body()
    api.post("/v1/signup", body)
    api.pump()
    (token,) = tokens_from(api, body["email"], "verify.html")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert api.post("/v1/verify", f"token={token}".encode(), form).status_code == 303
    again = api.post("/v1/verify", f"token={token}".encode(), form)
    assert again.status_code == 409
    assert "already confirmed" in again.body.decode() and "/signin.html" in again.body.decode()


# --- 3. sessions end on the server


def test_a_session_used_after_sign_out_gets_401_and_other_sessions_go_on(api: ResidentApi) -> None:
    body, here = api.signed_up_and_verified()
    elsewhere = signed_in_by_link(api, body["email"])

    signed_out = api.request("DELETE", "/v1/session", here)
    assert signed_out.status_code == 204
    for method, path in (("GET", "/v1/me"), ("GET", "/v1/me/export"), ("DELETE", "/v1/me")):
        refused = api.request(method, path, here)
        assert refused.status_code == 401 and body_of(refused)["code"] == "Unauthorized", (method, path)
    assert api.request("DELETE", "/v1/session", here).status_code == 401
    assert me(api, elsewhere)["contacts"][0]["address"] == body["email"]  # signing out ends this session only


def test_erasure_ends_every_session_of_the_resident(api: ResidentApi) -> None:
    body, here = api.signed_up_and_verified()
    elsewhere = signed_in_by_link(api, body["email"])
    resident_id = me(api, here)["id"]
    assert len(sessions_of(resident_id)) == 2

    assert api.request("DELETE", "/v1/me", here).status_code == 204
    assert sessions_of(resident_id) == []
    assert api.request("GET", "/v1/me", elsewhere).status_code == 401


def test_a_validly_signed_session_token_without_an_open_session_gets_401(api: ResidentApi) -> None:
    _, session = api.signed_up_and_verified()
    resident_id = me(api, session)["id"]
    signer = bootstrap.services().signer
    # What every session token was before sessions lived on the server: signed, unexpired, with no session behind it.
    for claims in ({"sub": resident_id}, {"sub": resident_id, "sid": "never-opened"}):
        token = signer.sign("session", claims, 600)
        refused = api.request("GET", "/v1/me", token)
        assert refused.status_code == 401 and body_of(refused)["code"] == "Unauthorized"


# --- 4. contact squatting


def test_a_squatter_never_gets_the_victims_email_nor_their_places(api: ResidentApi) -> None:
    victim_email, squatter_phone = unique_email(), unique_mobile()

    # The squatter signs up with the victim's email and their own phone, and confirms the phone.
    squat = signup_body(email=victim_email, phone=squatter_phone, channels=["sms"],
                        locations=[{"label": "Squatter", "lat": 52.9925, "lng": -2.1856}])
    assert api.post("/v1/signup", squat).status_code == 202
    api.pump()
    confirmed = api.post("/v1/verify", {"phone": squatter_phone, "code": api.code_sent_to(squatter_phone)})
    assert confirmed.status_code == 200
    squatter_session = body_of(confirmed)["session"]
    squatter_id = me(api, squatter_session)["id"]
    (squatters_link,) = tokens_from(api, victim_email, "verify.html")  # went to the victim, who ignored it

    # Later the victim signs up with their own email and home: the answer is the one anybody gets.
    victim = signup_body(email=victim_email, locations=[{"label": "Victim home", "lat": 52.8066, "lng": -2.1167}])
    answer, fresh = api.post("/v1/signup", victim), api.post("/v1/signup", signup_body())
    strip = lambda r: {k: v for k, v in body_of(r).items() if k != "locations"}  # noqa: E731
    assert answer.status_code == fresh.status_code == 202 and strip(answer) == strip(fresh)
    api.pump()
    victims_links = [t for t in tokens_from(api, victim_email, "verify.html") if t != squatters_link]
    assert victims_links and all(subject_of(t) != squatter_id for t in victims_links)  # a profile of their own
    assert tokens_from(api, victim_email, "signin.html") == []  # nothing pulls them into the squatter's profile

    verified = api.post("/v1/verify", {"token": victims_links[-1]})
    assert verified.status_code == 200
    victims_view = me(api, body_of(verified)["session"])
    assert victims_view["id"] != squatter_id
    assert [loc["label"] for loc in victims_view["locations"]] == ["Victim home"]
    assert victims_view["contacts"] == [{"kind": "email", "address": victim_email, "verified": True}]

    # The squatter's old link, now used, does not attach the email to the squatter's profile.
    late = api.post("/v1/verify", {"token": squatters_link})
    assert late.status_code == 409 and pointer_of(late) == "/token" and "session" not in body_of(late)
    owner = ContactModel.get(bootstrap.services().hasher.email(victim_email).hash, consistent_read=True)
    assert owner.resident_id == victims_view["id"] and owner.verified

    # The squatter, signing in afresh by phone, sees only their own place and no verified email.
    assert api.post("/v1/signin", {"phone": squatter_phone}).status_code == 202
    api.pump()
    reopened = api.post("/v1/session", {"phone": squatter_phone, "code": api.code_sent_to(squatter_phone)})
    assert reopened.status_code == 200, reopened.body
    squatters_view = me(api, body_of(reopened)["session"])
    assert squatters_view["id"] == squatter_id
    assert [loc["label"] for loc in squatters_view["locations"]] == ["Squatter"]
    assert {"kind": "email", "address": victim_email, "verified": True} not in squatters_view["contacts"]

    # And the victim signing in by email lands in their own profile.
    assert me(api, signed_in_by_link(api, victim_email))["id"] == victims_view["id"]

    # The squatter erasing their account takes nothing of the victim's with it: not the contact, not its standing.
    assert api.request("DELETE", "/v1/me", body_of(reopened)["session"]).status_code == 204
    kept = ContactModel.get(bootstrap.services().hasher.email(victim_email).hash, consistent_read=True)
    assert kept.resident_id == victims_view["id"] and kept.verified
    assert bootstrap.services().suppressions.reason(kept.contact_hash) is None
    assert me(api, signed_in_by_link(api, victim_email))["locations"][0]["label"] == "Victim home"


def test_a_code_is_texted_only_for_the_signup_that_holds_the_number(api: ResidentApi) -> None:
    number = unique_mobile()
    first = signup_body(email=None, phone=number, channels=["sms"], locations=[{"label": "First", "lat": 52.9,
                                                                                 "lng": -2.0}])
    second = signup_body(email=None, phone=number, channels=["sms"])
    assert api.post("/v1/signup", first).status_code == 202
    assert api.post("/v1/signup", second).status_code == 202  # the unconfirmed claim does not block it
    api.pump()  # both signups' jobs, the first one's first

    assert len(api.messages_to(number, "sms")) == 1  # the first signup no longer holds the number
    opened = api.post("/v1/verify", {"phone": number, "code": api.code_sent_to(number)})
    assert opened.status_code == 200
    assert [loc["label"] for loc in me(api, body_of(opened)["session"])["locations"]] == ["Home"]


def test_an_unverified_claim_is_not_a_way_in_for_sign_in(api: ResidentApi) -> None:
    victim_email = unique_email()
    api.post("/v1/signup", signup_body(email=victim_email, phone=unique_mobile(), channels=["email", "sms"]))
    api.pump()
    sent_before = len(api.messages_to(victim_email))
    assert api.post("/v1/signin", {"email": victim_email}).status_code == 202
    api.pump()
    assert len(api.messages_to(victim_email)) == sent_before  # no link into a profile nobody confirmed this for


# --- 5. and 6. SMS codes


def test_wrong_code_answers_are_identical_for_registered_and_unregistered_numbers(api: ResidentApi) -> None:
    registered, unregistered = unique_mobile(), unique_mobile()
    assert api.post("/v1/signup", signup_body(email=None, phone=registered, channels=["sms"])).status_code == 202
    api.pump()
    code = api.code_sent_to(registered)
    wrong = "000000" if code != "000000" else "111111"

    def answer(number: str, guess: str) -> tuple[int, str, dict[str, str]]:
        response = api.post("/v1/verify", {"phone": number, "code": guess})
        return response.status_code, response.body, dict(response.headers)

    for _ in range(MAX_CODE_ATTEMPTS + 3):  # before, at and after the limit
        assert answer(registered, wrong) == answer(unregistered, wrong)
    # Past the limit even the right code gets the same answer as a stranger's guess.
    right_after_the_limit = answer(registered, code)
    assert right_after_the_limit == answer(unregistered, code)
    status, body, _ = right_after_the_limit
    assert status == 400 and json.loads(body)["errors"][0]["pointer"] == "/code"


def test_fifty_parallel_wrong_codes_count_exactly_the_limit_and_lock_the_code(
        api: ResidentApi, monkeypatch: pytest.MonkeyPatch) -> None:
    # DynamoDB under load answers reads in tens of milliseconds; the emulator answers at once, which would hide the
    # window between reading a counter and writing it back that a read-modify-write counter leaves open.
    read_contact = ResidentStore.contact_owner
    monkeypatch.setattr(ResidentStore, "contact_owner",
                        lambda self, contact_hash: (time.sleep(0.05), read_contact(self, contact_hash))[1])
    number = unique_mobile()
    api.post("/v1/signup", signup_body(email=None, phone=number, channels=["sms"]))
    api.pump()
    code = api.code_sent_to(number)
    wrong = "000000" if code != "000000" else "111111"
    residents = bootstrap.services().residents
    contact_hash = bootstrap.services().hasher.mobile(number).hash

    def guess(_: int) -> int:
        try:
            residents.redeem({"phone": number, "code": wrong}, "203.0.113.7")
        except HexwatchError as error:
            return error.status
        return 200

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(guess, range(50)))
    assert statuses == [400] * 50
    assert ContactModel.get(contact_hash, consistent_read=True).code_attempts == MAX_CODE_ATTEMPTS

    late = api.post("/v1/verify", {"phone": number, "code": code})
    assert late.status_code == 400 and pointer_of(late) == "/code"
    assert ContactModel.get(contact_hash, consistent_read=True).verified is False


def test_purging_an_abandoned_signup_leaves_the_contact_with_whoever_verified_it(api: ResidentApi) -> None:
    email = unique_email()
    assert api.post("/v1/signup", signup_body(email=email, locations=[{"label": "Abandoned", "lat": 52.9,
                                                                       "lng": -2.0}])).status_code == 202
    api.pump()
    (abandoned_link,) = tokens_from(api, email, "verify.html")
    assert api.post("/v1/signup", signup_body(email=email)).status_code == 202
    api.pump()
    (kept_link,) = [t for t in tokens_from(api, email, "verify.html") if t != abandoned_link]
    verified = api.post("/v1/verify", {"token": kept_link})
    assert verified.status_code == 200
    owner_id = me(api, body_of(verified)["session"])["id"]

    os.environ["HEXWATCH_PENDING_SIGNUP_DAYS"] = "-1"  # every pending signup counts as old
    try:
        api.client.lambda_.invoke("purge_unverified", scheduled_event("purge_unverified"))
    finally:
        os.environ.pop("HEXWATCH_PENDING_SIGNUP_DAYS")
    contact = ContactModel.get(bootstrap.services().hasher.email(email).hash, consistent_read=True)
    assert contact.resident_id == owner_id and contact.verified
    assert me(api, signed_in_by_link(api, email))["id"] == owner_id
