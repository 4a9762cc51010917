"""The signup form without JavaScript (a plain HTML form post), and with it (checks from the schemas, nothing sent)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.browser.conftest import has_token_link, wait_for_message

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
SITE = Path(__file__).resolve().parents[2] / "site"


@pytest.fixture
def no_js_page(browser: Any) -> Any:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def test_signup_without_javascript_posts_the_form(no_js_page: Any, site_url: str) -> None:
    page = no_js_page
    email = f"nojs-{uuid.uuid4().hex[:12]}@example.com"
    page.goto(f"{site_url}/")
    # Without JavaScript every choice is in the HTML, business sectors included (with their hint).
    assert page.locator("#business-sectors").is_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Postcode").first.fill("ST16 2DJ")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Crime and incidents, including witness appeals").check()
    page.get_by_label("Business crime").check()
    page.get_by_label("Retail and shops").check()
    page.get_by_label("Dog Watch (dog walkers)").check()
    page.get_by_label("Fire and rescue services").check()
    page.get_by_label("I am 12 years old or over").check()
    page.locator("#consent").check()
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/signup-sent.html")
    assert page.get_by_role("heading", name="Check your email").is_visible()
    wait_for_message(site_url, email, has_token_link("/verify.html"),
                     "confirmation email after a no-JavaScript signup")


def test_invalid_signup_without_javascript_shows_the_error_page(no_js_page: Any, site_url: str) -> None:
    page = no_js_page
    page.goto(f"{site_url}/")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/v1/signup"), page.url
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    text = page.locator("main").inner_text()
    # Fields are named as the form names them, not by their JSON pointers.
    for field in ("Email address", "Privacy notice", "Age"):
        assert field in text, f"the error page does not mention {field}:\n{text}"
    assert "^[" not in text, "no regular expressions in messages for people"


def test_empty_signup_with_javascript_shows_linked_errors_and_sends_nothing(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/")
    page.wait_for_load_state("networkidle")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/v1/" in request.url else None)
    page.locator("#loc0-label").fill("")
    page.get_by_role("button", name="Sign up").click()

    summary = page.locator("#error-summary")
    summary.wait_for(state="visible")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    links = summary.locator("a")
    assert links.count() >= 6, summary.inner_text()
    expected = {
        "#email": "Enter an email address, a mobile phone number or a landline number",
        "#channels-email": "Select how you want to get alerts",
        "#categories-crime": "Select what you want to hear about",
        "#loc0-label": "Give this place a name",
        "#loc0-postcode": "Enter a postcode, or a latitude and longitude",
        "#age_confirmed": "Confirm that you are 12 years old or over",
        "#consent": "Agree to the privacy notice",
    }
    hrefs = {links.nth(i).get_attribute("href"): links.nth(i).inner_text() for i in range(links.count())}
    for href, message in expected.items():
        assert href in hrefs, f"no summary link to {href}; links: {hrefs}"
        assert message in hrefs[href]
        # The same message sits next to the field, and the field points at it for screen readers.
        field = page.locator(href)
        assert field.get_attribute("aria-invalid") == "true" or href.startswith(("#channels", "#categories"))
        group = page.locator(f".form-group--error:has({href})").last
        assert message in group.locator(".error-message").inner_text()
    described = page.locator("#email").get_attribute("aria-describedby") or ""
    assert any(part.endswith("-error") for part in described.split()), described

    # A summary link moves focus to its field.
    summary.locator("a[href='#consent']").click()
    assert page.evaluate("() => document.activeElement.id") == "consent"

    page.wait_for_timeout(300)
    assert not [url for url in sent if "/v1/signup" in url], f"the form was sent although invalid: {sent}"


def test_business_sectors_show_only_with_business_crime(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/")
    page.wait_for_load_state("networkidle")
    sectors = page.locator("#business-sectors")
    assert sectors.is_hidden()
    page.get_by_label("Business crime").check()
    assert sectors.is_visible()
    page.get_by_label("Business crime").uncheck()
    assert sectors.is_hidden()


def test_server_errors_land_on_their_fields(page: Any, site_url: str) -> None:
    """An error only the server can find (an unknown postcode district) is shown next to the postcode field."""
    page.goto(f"{site_url}/")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Email address").fill(f"server-{uuid.uuid4().hex[:12]}@example.com")
    page.locator("#loc0-postcode").fill("ZZ9")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Crime and incidents, including witness appeals").check()
    page.get_by_label("I am 12 years old or over").check()
    page.locator("#consent").check()
    with page.expect_response("**/v1/signup") as answer:
        page.get_by_role("button", name="Sign up").click()
    response = answer.value
    assert 400 <= response.status < 500, f"an unknown postcode was accepted: {response.status} {response.text()}"
    pointers = [e["pointer"] for e in response.json().get("errors", [])]
    page.locator("#error-summary").wait_for(state="visible")
    assert "/locations/0/postcode" in pointers, response.json()
    assert page.locator(".form-group--error #loc0-postcode").count() == 1
    assert "We could not find that postcode" in page.locator("#error-summary a[href='#loc0-postcode']").inner_text()


def test_postcode_lookup_shows_the_approximate_note(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/")
    page.wait_for_load_state("networkidle")
    page.locator("#loc0-postcode").fill("ST16")
    page.locator("#location-0").get_by_role("button", name="Look up postcode").click()
    status = page.locator("#loc0-status")
    status.filter(has_text="We found ST16").wait_for()
    assert "Use my location" in status.inner_text()


def test_use_my_location_fills_latitude_and_longitude(browser: Any, site_url: str) -> None:
    context = browser.new_context(
        geolocation={"latitude": 52.80661, "longitude": -2.11642}, permissions=["geolocation"]
    )
    try:
        page = context.new_page()
        page.goto(f"{site_url}/")
        page.locator("#location-0").get_by_role("button", name="Use my location").click()
        page.locator("#loc0-status").filter(has_text="We filled in").wait_for()
        assert page.locator("#loc0-lat").input_value() == "52.80661"
        assert page.locator("#loc0-lng").input_value() == "-2.11642"
    finally:
        context.close()


# --- the JavaScript validator must judge like the API's jsonschema (Draft 2020-12) on the schemas we ship

VALIDATOR_CASES: list[tuple[str, Any]] = [
    ("signup", {}),
    ("signup", {"email": "a@b.co", "channels": ["email"], "categories": ["crime"],
                "locations": [{"label": "Home", "postcode": "ST16"}], "age_confirmed": True, "consent": True}),
    ("signup", {"phone": "07700 900123", "channels": ["sms"], "categories": ["crime", "rural"],
                "locations": [{"label": "Home", "lat": 52.8, "lng": -2.1}], "age_confirmed": True, "consent": True,
                "business_sectors": ["retail"], "groups": ["cctv", "farm"], "language": "pa-Arab", "name": "Ann",
                "senders": ["council", "fraud"]}),
    ("signup", {"email": "a@b.co", "channels": ["email"], "categories": ["crime"], "senders": ["council", "mi5"],
                "locations": [{"label": "Home", "postcode": "ST16"}], "age_confirmed": True, "consent": True}),
    ("signup", {"email": "a@b.co", "channels": ["email", "email"], "categories": [],
                "locations": [{"label": "Home", "postcode": "ST16", "lat": 52}], "age_confirmed": False,
                "consent": True, "extra": 1}),
    ("signup", {"email": "no-at-sign", "channels": ["fax"], "categories": ["crime"],
                "locations": [{"label": "", "lat": 70, "lng": 3}], "age_confirmed": True, "consent": True}),
    ("signup", {"email": "a@b.co", "channels": ["email"], "categories": ["crime"], "locations": [
        {"label": str(i), "postcode": "ST16"} for i in range(6)], "age_confirmed": True, "consent": True}),
    ("signup", {"email": "a@b.co", "channels": ["email"], "categories": ["crime"],
                "locations": [{"label": "Home", "lat": "52.8", "lng": -2.1}], "age_confirmed": True,
                "consent": "yes", "language": "english"}),
    ("preferences-update", {}),
    ("preferences-update", {"language": "cy"}),
    ("preferences-update", {"locations": []}),
    ("signin", {"email": "a@b.co"}),
    ("signin", {"email": "a@b.co", "phone": "07700900123"}),
    ("verify", {"token": "x" * 30}),
    ("verify", {"token": "short", "code": "12345"}),
    ("verify", {"phone": "07700 900123", "code": "123456"}),
    ("verify", {"landline": "01785 257111", "code": "123456"}),
    ("verify", {"landline": "01785 257111", "phone": "07700 123456", "code": "123456"}),
    ("signin", {"landline": "01785 257111"}),
    ("signup", {"landline": "01785 257111", "channels": ["voice"], "categories": ["crime"],
                "locations": [{"label": "Home", "lat": 52.8, "lng": -2.1}], "age_confirmed": True, "consent": True}),
    ("unsubscribe", {"categories": ["crime"]}),
    ("unsubscribe", {"categories": []}),
    ("device", {"platform": "fcm", "token": "abc:def_ghi.jkl-mno"}),
    ("device", {"platform": "sms", "token": "bad token!"}),
]


def _python_verdicts() -> list[bool]:
    documents = [json.loads(p.read_text("utf-8")) for p in sorted(SCHEMAS.glob("*.json"))]
    registry: Registry[Any] = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in documents)
    by_name = {d["$id"].rsplit("/", 1)[-1].removesuffix(".json"): d for d in documents}
    return [Draft202012Validator(by_name[name], registry=registry).is_valid(doc) for name, doc in VALIDATOR_CASES]


def test_javascript_validator_agrees_with_jsonschema(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/privacy.html")
    documents = [json.loads(p.read_text("utf-8")) for p in sorted(SCHEMAS.glob("*.json"))]
    results = page.evaluate(
        """([documents, cases]) => {
            const v = new window.HexwatchSchema.Validator(documents);
            return cases.map(([name, doc]) => v.validate(name, doc));
        }""",
        [documents, [list(case) for case in VALIDATOR_CASES]],
    )
    expected = _python_verdicts()
    for (name, doc), errors, valid in zip(VALIDATOR_CASES, results, expected, strict=True):
        assert (not errors) == valid, f"{name} {doc}: jsonschema says valid={valid}, validate.js says {errors}"
        for error in errors:
            assert error["pointer"] == "" or error["pointer"].startswith("/"), error
    # Pointers name fields the way the API does (a missing member is pointed at, not its parent).
    assert {e["pointer"] for e in results[0]} >= {"/channels", "/categories", "/locations", "/consent", "/email"}
