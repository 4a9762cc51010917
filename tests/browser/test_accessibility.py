"""axe-core audit (WCAG 2.0/2.1/2.2 A and AA, target-size included) of every page in site/ and of the outbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe_helpers import assert_no_violations
from tests.browser.conftest import open_outbox, site_pages

PAGES = site_pages()


def test_site_has_the_pages_we_audit() -> None:
    expected = {"index.html", "signup-sent.html", "verify.html", "verified.html", "signin.html", "manage.html",
                "unsubscribe.html", "unsubscribed.html", "privacy.html"}
    assert expected <= set(PAGES), f"missing pages: {sorted(expected - set(PAGES))}"


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_axe_violations(page: Any, site_url: str, name: str) -> None:
    page.goto(f"{site_url}/{name}")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title(), f"{name} has no title"
    assert_no_violations(page, name)


@pytest.mark.parametrize("name", PAGES)
def test_page_without_its_scripts_has_no_axe_violations(browser: Any, site_url: str, name: str) -> None:
    """The page as it is before (or without) its scripts: every no-JavaScript control must pass too.

    axe-core cannot run with JavaScript turned off in the context (its promise never settles), so the page's own
    scripts are blocked instead; the DOM is then the static HTML, as without JavaScript.
    """
    context = browser.new_context()
    try:
        context.route("**/*.js", lambda route: route.abort())
        page = context.new_page()
        page.goto(f"{site_url}/{name}")
        assert page.evaluate("() => typeof window.Hexwatch") == "undefined"
        assert_no_violations(page, f"{name} without its scripts")
    finally:
        context.close()


def test_signup_page_showing_errors_has_no_axe_violations(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Business crime").check()
    page.locator("#loc0-postcode").fill("ST16")
    page.locator("#location-0").get_by_role("button", name="Look up postcode").click()
    page.locator("#loc0-status").filter(has_text="We found").wait_for()
    page.get_by_role("button", name="Sign up").click()
    page.locator("#error-summary").wait_for(state="visible")
    assert_no_violations(page, "index.html with errors shown")


def test_verify_with_a_token_and_signin_with_a_code_have_no_axe_violations(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/verify.html?token={'x' * 40}")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Confirm my email address").click()
    page.locator("#error-summary").wait_for(state="visible")
    assert_no_violations(page, "verify.html with a bad token")
    page.goto(f"{site_url}/signin.html")
    page.get_by_label("Mobile phone number").fill("07400 123456")
    page.get_by_role("button", name="Send me a link or code").click()
    page.locator("#code-section").wait_for(state="visible")
    assert_no_violations(page, "signin.html asking for a code")


def test_outbox_page_has_no_axe_violations(page: Any, site_url: str, stack: dict[str, Any]) -> None:
    open_outbox(page, str(stack["outbox_url"]))
    assert_no_violations(page, "the outbox page")
