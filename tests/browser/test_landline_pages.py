"""A resident with only a landline, in real Chromium: the call's code confirms it on the confirm page, and a later
sign-in by landline reads another code; both pages pass axe with the landline form in use."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from tests.browser.axe_helpers import assert_no_violations
from tests.browser.conftest import wait_for_message


def code_in(call: dict[str, Any]) -> str:
    return re.search(r"\b(\d{6})\b", call["text"]).group(1)  # type: ignore[union-attr]


def test_a_landline_is_confirmed_and_signs_in_with_the_codes_its_calls_read(page: Any, site_url: str) -> None:
    landline = f"01538 {uuid.uuid4().int % 900000 + 100000}"
    e164 = "+441538" + landline[-6:]
    signup = requests.post(f"{site_url}/v1/signup", timeout=10, json={
        "landline": landline, "channels": ["voice"], "categories": ["crime"], "language": "en",
        "locations": [{"label": "Home", "lat": 53.1046, "lng": -2.0236}], "age_confirmed": True, "consent": True})
    assert signup.status_code == 202, signup.text
    call = wait_for_message(site_url, e164, lambda m: m.get("channel") == "voice" and "Your code is" in m["text"],
                            "the call reading the code")

    page.goto(f"{site_url}/verify.html")
    page.get_by_role("button", name="Confirm my landline").click()
    page.locator("#error-summary").wait_for(state="visible")
    assert_no_violations(page, "verify.html with the landline form's errors")
    page.get_by_label("Landline number").fill(landline)
    page.locator("#verify-landline-code").fill(code_in(call))
    page.get_by_role("button", name="Confirm my landline").click()
    page.wait_for_url("**/manage.html?welcome=1")
    page.locator("#account").wait_for(state="visible")

    page.evaluate("() => sessionStorage.clear()")
    page.goto(f"{site_url}/signin.html")
    page.get_by_label("Landline number").fill(landline)
    page.get_by_role("button", name="Send me a link or code").click()
    page.locator("#signin-status").filter(has_text="we are calling it now").wait_for()
    assert_no_violations(page, "signin.html after asking for a call")
    again = wait_for_message(site_url, e164, lambda m: m.get("channel") == "voice" and "sign in" in m["text"]
                             and code_in(m) != code_in(call), "the sign-in call")
    page.locator("#signin-code").fill(code_in(again))
    page.locator("#code-form button[type=submit]").click()
    page.wait_for_url("**/manage.html")
    page.locator("#account").wait_for(state="visible")
