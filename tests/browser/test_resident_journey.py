"""A resident's whole journey in a real browser: sign up, confirm from the outbox, change choices, unsubscribe."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.browser.axe_helpers import assert_no_violations
from tests.browser.conftest import has_token_link, open_outbox, wait_for_message


def _unique_email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}@example.com"


def _wait_for_me(site_url: str, session: str, predicate: Any, what: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(f"{site_url}/v1/me", headers={"Authorization": f"Bearer {session}"}, timeout=10)
        assert response.status_code == 200, f"GET /v1/me answered {response.status_code}: {response.text}"
        me = response.json()
        if predicate(me):
            return dict(me)
        if time.monotonic() > deadline:
            pytest.fail(f"GET /v1/me never showed {what}; last answer: {me}")
        time.sleep(0.5)


def test_signup_confirm_manage_and_unsubscribe(page: Any, site_url: str) -> None:
    email = _unique_email("journey")

    # Sign up with JavaScript on: a point location, email, crime alerts and one watch scheme.
    page.goto(f"{site_url}/")
    page.get_by_label("Email address").fill(email)
    page.locator("#loc0-lat").fill("52.8066")
    page.locator("#loc0-lng").fill("-2.1164")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Crime and incidents, including witness appeals").check()
    page.get_by_label("Neighbourhood Watch").check()
    page.get_by_label("I am 12 years old or over").check()
    page.locator("#consent").check()
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/signup-sent.html")
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert email in page.locator("#sent-message").inner_text()

    # Open the outbox like a resident opens their mail, and follow the confirmation link.
    wait_for_message(site_url, email, has_token_link("/verify.html"), "confirmation email")
    open_outbox(page, site_url)
    article = page.locator("article").filter(has_text=email).filter(has=page.locator("a[href*='/verify.html']"))
    article.first.locator("ul.links a[href*='/verify.html']").first.click()
    page.wait_for_url("**/verify.html?token=*")
    page.get_by_role("button", name="Confirm my email address").click()
    page.wait_for_url("**/manage.html*")
    page.locator("#account").wait_for(state="visible")
    assert page.get_by_label("Crime and incidents, including witness appeals").is_checked()
    assert page.get_by_label("Neighbourhood Watch").is_checked()
    assert email in page.locator("#contacts").inner_text()
    assert_no_violations(page, "manage.html (signed in)")

    # Change choices: add rural crime, switch to Welsh; save; reload; they stay.
    page.get_by_label("Rural crime").check()
    page.get_by_label("Language for your alerts").select_option("cy")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#manage-status").filter(has_text="Your changes have been saved").wait_for()
    page.reload()
    page.locator("#account").wait_for(state="visible")
    assert page.get_by_label("Rural crime").is_checked()
    assert page.get_by_label("Crime and incidents, including witness appeals").is_checked()
    assert page.get_by_label("Language for your alerts").input_value() == "cy"
    session = page.evaluate("() => sessionStorage.getItem('hexwatch.session')")
    assert session, "the manage page kept no session in sessionStorage"
    me = _wait_for_me(site_url, session, lambda m: True, "the account")
    assert set(me["categories"]) == {"crime", "rural"}
    assert me["language"] == "cy"

    # The welcome email (sent after confirmation) carries the unsubscribe link.
    welcome = wait_for_message(
        site_url, email, has_token_link("/unsubscribe.html"), "welcome email"
    )
    open_outbox(page, site_url)
    article = page.locator("article").filter(has_text=email).filter(has=page.locator("a[href*='/unsubscribe.html']"))
    assert article.count() >= 1, f"the outbox page does not show the welcome email {welcome.get('subject')!r}"
    article.first.locator("ul.links a[href*='/unsubscribe.html']").first.click()
    page.wait_for_url("**/unsubscribe.html?token=*")
    page.locator("#unsubscribe-details").filter(has_text="all alerts to").wait_for()
    assert_no_violations(page, "unsubscribe.html (with token)")
    page.get_by_label("All alerts to this address").check()
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_url("**/unsubscribed.html")
    assert page.get_by_role("heading", name="You have unsubscribed").is_visible()

    me = _wait_for_me(
        site_url, session,
        lambda m: m.get("status") == "opted_out" or "email" not in (m.get("channels") or []),
        "the opt-out (status opted_out, or email gone from channels)",
    )
    assert me.get("status") == "opted_out" or "email" not in me.get("channels", [])
