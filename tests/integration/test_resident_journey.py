"""A resident's whole journey against the emulator: real routes, real tables, real queue, SES and SNS."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from urllib.parse import unquote

import pytest

from chalicelib.adapters.models import ContactModel, LocationModel, SubscriberModel, SuppressionModel
from infra.local.pump import scheduled_event, sns_record

from .residents_helpers import (
    ResidentApi,
    generous_resident_api,
    signup_body,
    unique_email,
    unique_mobile,
)


@pytest.fixture
def api(emulator, fresh_stack) -> Iterator[ResidentApi]:  # type: ignore[no-untyped-def]
    with generous_resident_api(fresh_stack) as api:
        yield api


def items(model) -> list:  # type: ignore[no-untyped-def,type-arg]
    return list(model.scan())


def test_signup_verify_and_the_resident_becomes_targetable(api: ResidentApi) -> None:
    body = signup_body(categories=["crime", "neighbourhood"])
    response = api.post("/v1/signup", body)
    assert response.status_code == 202
    assert json.loads(response.body)["status"] == "pending"
    assert items(LocationModel) == []  # nobody is targetable before they confirm

    api.pump()
    (email,) = api.messages_to(body["email"], "email")
    assert "Confirm" in email["subject"]
    verified = api.post("/v1/verify", {"token": api.token_from(body["email"], "verify.html")})
    assert verified.status_code == 200
    session = json.loads(verified.body)["session"]

    me = json.loads(api.request("GET", "/v1/me", session).body)
    assert me["status"] == "active" and me["reachable_channels"] == ["email"]
    (location,) = items(LocationModel)
    assert location.resident_id == me["id"] and location.channels == {"email"}
    assert location.categories == {"crime", "neighbourhood"} and location.groups == {"farm"}
    assert location.sk.startswith(me["locations"][0] and location.sk[:15])


def test_the_welcome_email_unsubscribes_in_one_click(api: ResidentApi) -> None:
    body, session = api.signed_up_and_verified()
    welcome = [m for m in api.messages_to(body["email"], "email") if "signed up" in m["subject"]]
    assert welcome, "a welcome email follows verification"
    headers = welcome[0]["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    path = url[url.index("/v1/unsubscribe"):]
    # RFC 8058: the mail client POSTs this exact form body, with no cookies and no session.
    response = api.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                    body=b"List-Unsubscribe=One-Click")
    assert response.status_code == 200
    me = json.loads(api.request("GET", "/v1/me", session).body)
    assert me["status"] == "opted_out" and "email" not in me["channels"]
    assert items(LocationModel) == []
    token = unquote(path.split("token=")[1])
    again = api.post(f"/v1/unsubscribe?token={token}", {})
    assert again.status_code == 200  # unsubscribing twice is still a success


def test_per_category_opt_out_keeps_the_other_alerts(api: ResidentApi) -> None:
    body, session = api.signed_up_and_verified(categories=["crime", "rural"])
    token = api.token_from(body["email"], "unsubscribe.html")
    details = json.loads(api.client.http.get(f"/v1/unsubscribe?token={token}").body)
    assert details["subscribed"] and details["contact"].endswith("@example.org") and "***" in details["contact"]
    response = api.post(f"/v1/unsubscribe?token={token}", {"categories": ["rural"]})
    assert response.status_code == 200
    me = json.loads(api.request("GET", "/v1/me", session).body)
    assert me["categories"] == ["crime"] and me["status"] == "active"


def test_signing_up_again_reveals_nothing_and_sends_a_signin_link(api: ResidentApi) -> None:
    body, _ = api.signed_up_and_verified()
    residents_before = len(items(SubscriberModel))
    again = api.post("/v1/signup", {**body, "categories": ["rural"]})
    fresh = api.post("/v1/signup", signup_body())
    assert again.status_code == fresh.status_code == 202
    strip = lambda r: {k: v for k, v in json.loads(r.body).items() if k != "locations"}  # noqa: E731
    assert strip(again) == strip(fresh)
    api.pump()
    assert len(items(SubscriberModel)) == residents_before + 1  # only the fresh signup was added
    assert api.link_from(body["email"], "signin.html")
    stored = [r for r in items(SubscriberModel) if r.contacts[0].address == body["email"].lower()]
    assert stored[0].categories == ["crime"]  # the second signup changed nothing


def test_sms_codes_verify_a_mobile_and_wrong_codes_are_counted(api: ResidentApi) -> None:
    number = unique_mobile()
    body = signup_body(email=None, phone=number, channels=["sms"])
    assert api.post("/v1/signup", body).status_code == 202
    api.pump()
    code = api.code_sent_to(number)
    wrong = "000000" if code != "000000" else "111111"
    refused = api.post("/v1/verify", {"phone": number, "code": wrong})
    assert refused.status_code == 400 and json.loads(refused.body)["errors"][0]["pointer"] == "/code"
    accepted = api.post("/v1/verify", {"phone": number, "code": code})
    assert accepted.status_code == 200
    session = json.loads(accepted.body)["session"]
    assert json.loads(api.request("GET", "/v1/me", session).body)["reachable_channels"] == ["sms"]
    reused = api.post("/v1/verify", {"phone": number, "code": code})
    assert reused.status_code == 400  # a code works once


def test_a_landline_only_resident_confirms_by_a_voice_code_and_signs_in_by_another(api: ResidentApi) -> None:
    landline = "01785 " + str(uuid.uuid4().int % 900000 + 100000)
    e164 = "+441785" + landline[-6:]
    body = signup_body(email=None, landline=landline, channels=["voice"])
    assert api.post("/v1/signup", body).status_code == 202, "a landline alone is enough to sign up"
    api.pump()
    (call,) = api.messages_to(e164, "voice")
    assert call["headers"]["ssml"].count('<say-as interpret-as="digits">') == 2  # the code, digit by digit, twice
    code = api.code_sent_to(e164, "voice")
    assert call["text"].count(code) == 2
    wrong = "000000" if code != "000000" else "111111"
    refused = api.post("/v1/verify", {"landline": landline, "code": wrong})
    assert refused.status_code == 400 and json.loads(refused.body)["errors"][0]["pointer"] == "/code"
    accepted = api.post("/v1/verify", {"landline": landline, "code": code})
    assert accepted.status_code == 200, accepted.body
    me = json.loads(api.request("GET", "/v1/me", json.loads(accepted.body)["session"]).body)
    assert me["reachable_channels"] == ["voice"]

    assert api.post("/v1/signin", {"landline": landline}).status_code == 202
    api.pump()
    again = api.code_sent_to(e164, "voice")
    session = api.post("/v1/session", {"landline": landline, "code": again})
    assert session.status_code == 200, session.body


@pytest.mark.parametrize("number", ["07400 123456", "0800 123 4567", "0906 123 4567"])
def test_only_uk_landlines_starting_01_02_or_03_are_rung(api: ResidentApi, number: str) -> None:
    refused = api.post("/v1/signup", signup_body(email=None, landline=number, channels=["voice"]))
    assert refused.status_code == 400 and json.loads(refused.body)["errors"][0]["pointer"] == "/landline"
    api.pump()
    assert api.messages_to("+44" + number.replace(" ", "")[1:], "voice") == []


def test_signin_by_email_link_opens_a_session(api: ResidentApi) -> None:
    body, _ = api.signed_up_and_verified()
    unknown = api.post("/v1/signin", {"email": unique_email()})
    known = api.post("/v1/signin", {"email": body["email"]})
    assert unknown.status_code == known.status_code == 202 and unknown.body == known.body
    api.pump()
    session = api.post("/v1/session", {"token": api.token_from(body["email"], "signin.html")})
    assert session.status_code == 200
    assert api.request("GET", "/v1/me", json.loads(session.body)["session"]).status_code == 200


def test_changing_preferences_moves_the_targeting_items(api: ResidentApi) -> None:
    _, session = api.signed_up_and_verified()
    (before,) = items(LocationModel)
    changed = api.request("PATCH", "/v1/me", session, {
        "locations": [{"label": "Work", "lat": 52.9925, "lng": -2.1856}, {"label": "Farm", "postcode": "ST10"}],
        "categories": ["crime", "business"], "business_sectors": ["agriculture"], "language": "cy"})
    assert changed.status_code == 200, changed.body
    view = json.loads(changed.body)
    assert [loc["label"] for loc in view["locations"]] == ["Work", "Farm"]
    assert view["locations"][1]["approximate"] is True and "approximate" in view["locations"][1]["note"]
    after = items(LocationModel)
    assert len(after) == 2 and before.sk not in {item.sk for item in after}
    assert all(item.language == "cy" and item.business_sectors == {"agriculture"} for item in after)
    # Each item carries both places and its own place among them, so that pieces reading the two apart count the
    # resident once (domain/audience.py); a resident's only location carried none.
    in_order = sorted(after, key=lambda item: item.place)
    assert [item.place for item in in_order] == [0, 1] and before.places is None
    assert all(item.places == [f"{float(i.lat)!r},{float(i.lng)!r}" for i in in_order] for item in in_order)


def test_a_push_device_registers_an_sns_endpoint(api: ResidentApi) -> None:
    _, session = api.signed_up_and_verified(channels=["email", "push"])
    response = api.request("POST", "/v1/me/devices", session, {"platform": "fcm", "token": "f" * 40})
    assert response.status_code == 201
    me = json.loads(api.request("GET", "/v1/me", session).body)
    assert me["devices"][0]["platform"] == "fcm" and "push" in me["reachable_channels"]


def test_a_phone_handed_on_to_another_resident_registers_for_them_without_an_error(api: ResidentApi) -> None:
    # SNS refuses a second endpoint for a token it knows with other attributes; the app takes the endpoint over.
    token = uuid.uuid4().hex * 2
    _, first = api.signed_up_and_verified(channels=["email", "push"])
    assert api.request("POST", "/v1/me/devices", first, {"platform": "fcm", "token": token}).status_code == 201
    _, second = api.signed_up_and_verified(channels=["email", "push"])
    response = api.request("POST", "/v1/me/devices", second, {"platform": "fcm", "token": token})
    assert response.status_code == 201, response.body
    me = json.loads(api.request("GET", "/v1/me", second).body)
    assert me["devices"][0]["platform"] == "fcm" and "push" in me["reachable_channels"]


def test_export_then_erasure_leaves_only_the_suppressed_hash(api: ResidentApi) -> None:
    body, session = api.signed_up_and_verified()
    export = api.request("GET", "/v1/me/export", session)
    assert export.status_code == 200
    exported = json.loads(export.body)
    assert exported["contacts"][0]["address"] == body["email"] and exported["consent"]["notice_version"]
    assert api.request("DELETE", "/v1/me", session).status_code == 204
    assert items(SubscriberModel) == [] and items(ContactModel) == [] and items(LocationModel) == []
    (suppressed,) = items(SuppressionModel)
    assert suppressed.reason == "erased" and "@" not in suppressed.contact_hash
    assert api.request("GET", "/v1/me", session).status_code == 401  # the session dies with the account


def test_a_redelivered_queue_message_sends_once(api: ResidentApi) -> None:
    body = signup_body()
    api.post("/v1/signup", body)
    (job,) = api.queued_jobs()
    api.deliver([job])
    api.deliver([job])  # SQS delivers at least once: the same message id arrives again
    assert len(api.messages_to(body["email"], "email")) == 1


def test_a_permanent_bounce_suppresses_the_address(api: ResidentApi) -> None:
    body, _ = api.signed_up_and_verified()
    notification = {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
                    "bouncedRecipients": [{"emailAddress": body["email"].upper()}]}}
    envelope = {"MessageId": "m1", "TopicArn": f"arn:aws:sns:eu-west-2:123456789012:{api.prefix}-ses-events",
                "Message": json.dumps(notification)}
    api.client.lambda_.invoke("handle_ses_event", {"Records": [sns_record(envelope, "sub")]})
    (suppressed,) = items(SuppressionModel)
    assert suppressed.reason == "bounced"
    sent_before = len(api.messages_to(body["email"]))
    api.post("/v1/signin", {"email": body["email"]})
    api.pump()
    assert len(api.messages_to(body["email"])) == sent_before  # nothing more is sent to a bouncing address


def test_unverified_signups_are_purged_by_the_schedule(api: ResidentApi) -> None:
    api.post("/v1/signup", signup_body())
    _, _ = api.signed_up_and_verified()
    os.environ["HEXWATCH_PENDING_SIGNUP_DAYS"] = "-1"  # everything pending counts as old
    try:
        api.client.lambda_.invoke("purge_unverified", scheduled_event("purge_unverified"))
    finally:
        os.environ.pop("HEXWATCH_PENDING_SIGNUP_DAYS")
    remaining = items(SubscriberModel)
    assert [r.status for r in remaining] == ["active"] and len(items(ContactModel)) == 1
