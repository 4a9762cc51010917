"""Sign in with an emailed link, download the export, and delete the account after confirming, in a real browser."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.browser.axe_helpers import assert_no_violations
from tests.browser.conftest import has_token_link, link_to, wait_for_message


def _signed_up_and_verified(site_url: str) -> str:
    email = f"account-{uuid.uuid4().hex[:12]}@example.com"
    response = requests.post(f"{site_url}/v1/signup", timeout=10, json={
        "email": email, "channels": ["email"], "categories": ["crime"], "groups": ["cctv"],
        "senders": ["council"], "locations": [{"label": "Home", "lat": 52.8066, "lng": -2.1164}],
        "age_confirmed": True, "consent": True,
    })
    assert response.status_code == 202, response.text
    message = wait_for_message(site_url, email, has_token_link("/verify.html"),
                               "confirmation email")
    token = parse_qs(urlsplit(link_to(message, "/verify.html")).query)["token"][0]
    verified = requests.post(f"{site_url}/v1/verify", json={"token": token}, timeout=10)
    assert verified.status_code == 200, verified.text
    return email


def test_sign_in_with_link_export_and_delete(page: Any, site_url: str, tmp_path: Path) -> None:
    email = _signed_up_and_verified(site_url)

    page.goto(f"{site_url}/manage.html")
    assert page.locator("#signed-out").is_visible()
    page.goto(f"{site_url}/signin.html")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link or code").click()
    page.locator("#signin-status").filter(has_text="we have sent it a sign-in link").wait_for()

    message = wait_for_message(site_url, email, has_token_link("/signin.html"),
                               "sign-in email")
    page.goto(link_to(message, "/signin.html"))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/manage.html")
    page.locator("#account").wait_for(state="visible")
    assert page.get_by_label("CCTV operators").is_checked()
    # Who else may send: the council was chosen at signup, nobody else.
    assert page.get_by_label("Local councils").is_checked()
    assert not page.get_by_label("Fire and rescue services").is_checked()
    assert page.locator("#place1-label").input_value() == "Home"

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data").click()
    saved = tmp_path / "export.json"
    download_info.value.save_as(saved)
    exported = json.loads(saved.read_text("utf-8"))
    assert email in json.dumps(exported), f"the export does not mention {email}: {exported}"
    assert exported["senders"] == ["council"]

    session = page.evaluate("() => sessionStorage.getItem('hexwatch.session')")
    page.get_by_role("button", name="Delete my account").click()
    confirm = page.locator("#delete-confirm")
    confirm.wait_for(state="visible")
    page.get_by_role("button", name="No, keep my account").click()
    assert confirm.is_hidden()
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("button", name="Yes, delete my account").click()
    page.locator("#manage-status").filter(has_text="Your account has been deleted").wait_for()
    assert page.evaluate("() => sessionStorage.getItem('hexwatch.session')") is None
    after = requests.get(f"{site_url}/v1/me", headers={"Authorization": f"Bearer {session}"}, timeout=10)
    assert after.status_code in (401, 403, 404), f"the account still answers after erasure: {after.status_code}"


def test_a_used_or_bad_sign_in_link_says_so(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/signin.html?token={'y' * 40}")
    page.get_by_role("button", name="Sign in", exact=True).click()
    summary = page.locator("#error-summary")
    summary.wait_for(state="visible")
    assert "Ask for a new one" in summary.inner_text()
    assert page.url.endswith("/signin.html?token=" + "y" * 40)


def _signed_up(site_url: str) -> tuple[str, str]:
    """A fresh signup and the link in its confirmation email, not yet used."""
    email = f"links-{uuid.uuid4().hex[:12]}@example.com"
    response = requests.post(f"{site_url}/v1/signup", timeout=10, json={
        "email": email, "channels": ["email"], "categories": ["crime"],
        "locations": [{"label": "Home", "lat": 52.8066, "lng": -2.1164}], "age_confirmed": True, "consent": True,
    })
    assert response.status_code == 202, response.text
    message = wait_for_message(site_url, email, has_token_link("/verify.html"), "confirmation email")
    return email, link_to(message, "/verify.html")


def test_opening_a_link_uses_nothing_until_the_button_is_pressed(page: Any, site_url: str) -> None:
    email, verify_link = _signed_up(site_url)
    # A mail scanner that runs the page's scripts opens each link first; the resident comes after it.
    page.goto(verify_link)
    page.wait_for_load_state("networkidle")
    page.goto(verify_link)
    page.get_by_role("button", name="Confirm my email address").click()
    page.wait_for_url("**/manage.html*")

    requests.post(f"{site_url}/v1/signin", json={"email": email}, timeout=10)
    signin_link = link_to(wait_for_message(site_url, email, has_token_link("/signin.html"), "sign-in email"),
                          "/signin.html")
    page.goto(signin_link)
    page.wait_for_load_state("networkidle")
    assert urlsplit(page.url).path == "/signin.html", "the page signed in before the button was pressed"
    assert_no_violations(page, "signin.html with a sign-in link")
    page.goto(signin_link)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/manage.html")
    page.locator("#account").wait_for(state="visible")


def test_a_verify_link_used_again_says_already_confirmed_and_offers_sign_in(page: Any, site_url: str) -> None:
    _, verify_link = _signed_up(site_url)
    page.goto(verify_link)
    page.get_by_role("button", name="Confirm my email address").click()
    page.wait_for_url("**/manage.html*")

    page.goto(verify_link)
    page.get_by_role("button", name="Confirm my email address").click()
    heading = page.get_by_role("heading", name="Your email address is already confirmed")
    heading.wait_for()
    assert page.get_by_role("link", name="Sign in to change your alerts").get_attribute("href") == "/signin.html"
    assert page.locator("#token-section").is_hidden()
    assert_no_violations(page, "verify.html with a link used before")


def test_signing_out_ends_the_session_on_the_server(page: Any, site_url: str) -> None:
    _, verify_link = _signed_up(site_url)
    page.goto(verify_link)
    page.get_by_role("button", name="Confirm my email address").click()
    page.locator("#account").wait_for(state="visible")
    session = page.evaluate("() => sessionStorage.getItem('hexwatch.session')")
    assert requests.get(f"{site_url}/v1/me", headers={"Authorization": f"Bearer {session}"}, timeout=10).ok

    page.get_by_role("button", name="Sign out").click()
    page.locator("#manage-status").filter(has_text="You have signed out.").wait_for()
    assert page.locator("#signed-out").is_visible()
    after = requests.get(f"{site_url}/v1/me", headers={"Authorization": f"Bearer {session}"}, timeout=10)
    assert after.status_code == 401, f"a copied session still works after signing out: {after.status_code}"
