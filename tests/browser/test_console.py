"""The officer console in real Chromium against the whole local stack: sign-in with MFA (SRP through
amazon-cognito-identity-js against the emulator's Cognito), drawing on the map, preview, send, approval, progress."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from infra.local.seed import _registry
from infra.local.token import totp_code
from tests.browser.axe_helpers import assert_no_violations
from tests.browser.conftest import wait_for_message
from tests.browser.console_helpers import draw_circle, map_has_rendered, sign_in_as, sign_out
from tests.e2e.test_officer_alert_over_http import signed_up

RUGELEY = (52.7597, -1.9363)  # no demo residents (they live around the demo towns), no other test's residents
BROWN_EDGE = (52.7770, -1.9830)  # Brereton's edge, for the keyboard-only alert: a place of its own too
ALERT_SECONDS = 90_000
LONDON = ZoneInfo("Europe/London")


def test_an_officer_signs_in_with_mfa_draws_a_1km_circle_and_watches_it_go_out(
        page: Any, stack: dict[str, Any], site_url: str) -> None:
    resident = signed_up(stack, (RUGELEY[0] + 0.002, RUGELEY[1] + 0.002), ["crime"], mobile=False)
    title = f"Console appeal {uuid.uuid4().hex[:6]}"

    sign_in_as(page, stack, "demo-officer@hexwatch.example")
    page.get_by_role("link", name="New alert").click()
    page.locator("#compose-map[data-areas=shown]").wait_for()
    assert map_has_rendered(page, "compose-map"), "the map did not draw the basemap or the areas"
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Message", exact=True).fill("A car was stolen from Market Street overnight. Seen anything?")
    page.get_by_label("Incident reference").fill("SP/2026/4411")
    assert "1 segment" in page.locator("#alert-count").inner_text()
    draw_circle(page, "compose-map", *RUGELEY, 1000)
    assert page.get_by_label("Radius in metres").input_value() == "1000"
    assert abs(float(page.get_by_label("Centre latitude").input_value()) - RUGELEY[0]) < 0.0005
    assert page.locator("#compose-map path.map-target").count() == 1

    page.get_by_role("button", name="Preview who it reaches").click()
    page.locator("#preview[data-state=done]").wait_for()
    preview = page.locator("#preview-summary").inner_text()
    assert "You can send it yourself" in preview and "email" in preview

    page.get_by_role("button", name="Send alert").click()
    page.locator("[data-view=alert]").wait_for(state="visible")
    assert "Sent for delivery" in page.locator("#console-status").inner_text()
    page.locator("#alert-status[data-status=sent]").wait_for(timeout=ALERT_SECONDS)
    email = wait_for_message(site_url, resident["email"], lambda m: title in (m.get("subject") or ""),
                             "the console's alert")
    assert "SP/2026/4411" in email["text"]
    # The page follows delivery by itself: the email row counts the sent message without a reload.
    page.locator("#progress-table tr[data-channel=email] td[data-count=sent]").filter(
        has_text=re.compile(r"^[1-9]")).wait_for(timeout=ALERT_SECONDS)
    assert page.locator("#alert-audit").inner_text().count("send") >= 1


def test_a_wrong_authenticator_code_is_refused(page: Any, stack: dict[str, Any], site_url: str) -> None:
    from infra.local.token import user_record

    user = user_record(stack, "demo-supervisor@hexwatch.example")
    page.goto(f"{site_url}/console/")
    page.get_by_label("Email address").fill(user["username"])
    page.get_by_label("Password", exact=True).fill(user["password"])
    page.get_by_role("button", name="Continue").click()
    page.locator("#code-form").wait_for(state="visible")
    right = totp_code(user["totp_secret"])
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    page.get_by_label("The 6-digit code your authenticator app shows").fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#error-summary").wait_for(state="visible")
    assert "code is not right" in page.locator("#error-summary").inner_text()
    assert page.locator("[data-view=alerts]").is_hidden()
    assert page.locator("#console-nav").is_hidden()


def test_a_first_sign_in_enrols_an_authenticator_app_from_the_qr_code(
        page: Any, stack: dict[str, Any], site_url: str) -> None:
    cognito = boto3.client("cognito-idp", endpoint_url=stack["endpoint"], region_name=stack.get("region", "eu-west-2"),
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    username = f"new-officer-{uuid.uuid4().hex[:6]}@hexwatch.example"
    password = "Enrol-Me-2026-" + uuid.uuid4().hex[:6]
    pool = stack["user_pool_id"]
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": username},
                                              {"Name": "email_verified", "Value": "true"}])
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
    from chalicelib.domain.officers import RegistryEntry

    sub = next(a["Value"] for a in cognito.admin_get_user(UserPoolId=pool, Username=username)["UserAttributes"]
               if a["Name"] == "sub")
    _registry(cognito, pool, stack["endpoint"], stack.get("region", "eu-west-2")).put_entry(RegistryEntry(
        sub=sub, username=username, organisation="staffordshire", role="volunteer", areas=(),
        whole_organisation=True, updated_by="browser-test", updated_at="2026-12-03T00:00:00Z"))

    page.goto(f"{site_url}/console/")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()
    page.locator("#enrol-form").wait_for(state="visible")
    assert page.locator("#enrol-qr svg path").count() == 1, "no QR code was drawn"
    secret = page.locator("#enrol-secret").inner_text().strip()
    # Cognito's key is base32 (the emulator's is a fixed lower-case one); the QR code carries the same key.
    assert re.fullmatch(r"[A-Za-z2-7]{12,}", secret)
    assert_no_violations(page, "the console's authenticator enrolment")
    page.get_by_label("The 6-digit code the app shows").fill(totp_code(secret))
    page.get_by_role("button", name="Finish setting up").click()
    page.locator("[data-view=alerts]").wait_for(state="visible")
    assert username in page.locator("#who").inner_text()
    sign_out(page)
    # The next sign-in asks for the code, not for enrolment again.
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()
    page.locator("#code-form").wait_for(state="visible")


def test_a_volunteer_alert_typed_with_the_keyboard_waits_and_a_supervisor_approves_it(
        page: Any, stack: dict[str, Any], site_url: str) -> None:
    resident = signed_up(stack, BROWN_EDGE, ["crime"], mobile=False)
    title = f"Volunteer appeal {uuid.uuid4().hex[:6]}"
    sign_in_as(page, stack, "demo-volunteer@hexwatch.example")
    page.mouse.move(0, 0)

    def clicked(*_: Any) -> None:
        pytest.fail("the mouse was used on the keyboard-only path")

    page.expose_function("hexwatchMouseUsed", clicked)
    page.evaluate("() => document.addEventListener('mousedown', () => window.hexwatchMouseUsed(), true)")
    page.locator("a[data-nav=compose]").focus()
    page.keyboard.press("Enter")
    page.locator("#compose-map[data-rendered=true]").wait_for()
    page.locator("#alert-title").focus()
    page.keyboard.type(title)
    page.keyboard.press("Tab")
    page.keyboard.type("Dog walkers: a loose horse was seen on the canal path. Please report sightings.")
    page.locator("#alert-ref").focus()
    page.keyboard.type("SP/2026/5150")
    page.locator("#circle-lat").focus()
    page.keyboard.type(str(BROWN_EDGE[0]))
    page.keyboard.press("Tab")
    page.keyboard.type(str(BROWN_EDGE[1]))
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("800")
    page.keyboard.press("Tab")  # the change event draws the typed circle
    assert page.locator("#compose-map path.map-target").count() == 1
    page.locator("#send-button").focus()
    page.keyboard.press("Enter")
    page.locator("#alert-status[data-status=pending_approval]").wait_for()
    assert "waiting for approval" in page.locator("#console-status").inner_text()
    page.evaluate("() => { window.hexwatchMouseUsed = () => {}; }")
    sign_out(page)

    sign_in_as(page, stack, "demo-supervisor@hexwatch.example")
    pending = page.locator("#pending-table")
    pending.get_by_role("link", name=title).wait_for()
    pending.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Approve and send").click()
    page.locator("#console-status").filter(has_text="Approved").wait_for()
    page.locator("#alert-status[data-status=sent]").wait_for(timeout=ALERT_SECONDS)
    wait_for_message(site_url, resident["email"], lambda m: title in (m.get("subject") or ""), "the approved alert")
    assert "approve" in page.locator("#alert-audit").inner_text()


def test_every_console_view_has_no_axe_violations(page: Any, stack: dict[str, Any], site_url: str) -> None:
    page.goto(f"{site_url}/console/")
    page.locator("[data-view=signin]").wait_for(state="visible")
    assert_no_violations(page, "the console's sign-in")
    page.get_by_role("button", name="Continue").click()
    page.locator("#error-summary").wait_for(state="visible")
    assert_no_violations(page, "the console's sign-in with errors")
    sign_in_as(page, stack, "demo-admin@hexwatch.example")
    page.wait_for_load_state("networkidle")
    assert_no_violations(page, "the console's alert list")
    page.get_by_role("link", name="New alert").click()
    page.locator("#compose-map[data-rendered=true]").wait_for()
    assert_no_violations(page, "the console's compose view")
    page.get_by_role("button", name="Send alert").click()
    page.locator("#error-summary").wait_for(state="visible")
    assert_no_violations(page, "the console's compose view with errors")
    page.get_by_role("link", name="Partner review").click()
    page.locator("[data-view=review]").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    assert_no_violations(page, "the console's partner review")
    page.get_by_role("link", name="Dashboard").click()
    page.locator("#dashboard-body table").first.wait_for()
    assert_no_violations(page, "the console's dashboard")
    page.get_by_role("link", name="Alerts").click()
    page.locator("#alerts-table tbody a").first.wait_for()
    page.locator("#alerts-table tbody a").first.click()
    page.locator("#alert-status[data-status]").wait_for()
    assert_no_violations(page, "the console's alert view")


def uk_minutes_ahead(minutes: int) -> str:
    """A datetime-local value: UK wall-clock time, whole minutes ahead of now (rounded up)."""
    moment = datetime.now(LONDON) + timedelta(minutes=minutes)
    return (moment + timedelta(seconds=60 - moment.second)).strftime("%Y-%m-%dT%H:%M")


def test_an_officer_changes_a_scheduled_alert_and_only_the_changed_words_go_out_at_the_new_time(
        page: Any, stack: dict[str, Any], site_url: str) -> None:
    resident = signed_up(stack, (RUGELEY[0] - 0.002, RUGELEY[1] - 0.002), ["crime"], mobile=False)
    first_title = f"Scheduled appeal {uuid.uuid4().hex[:6]}"
    changed_title = f"Changed appeal {uuid.uuid4().hex[:6]}"
    sign_in_as(page, stack, "demo-officer@hexwatch.example")
    page.get_by_role("link", name="New alert").click()
    page.locator("#compose-map[data-areas=shown]").wait_for()
    page.get_by_label("Title", exact=True).fill(first_title)
    page.get_by_label("Message", exact=True).fill("Two sheds were broken into on Church Street. Seen anything?")
    page.get_by_label("Incident reference").fill("SP/2026/7001")
    page.get_by_label("Centre latitude").fill(str(RUGELEY[0]))
    page.get_by_label("Centre longitude").fill(str(RUGELEY[1]))
    page.get_by_label("Radius in metres").fill("900")
    page.locator("summary").filter(has_text="timing").click()
    page.get_by_label("Send at (optional, UK time)").fill(uk_minutes_ahead(30))
    page.get_by_role("button", name="Send alert").click()
    page.locator("#alert-status[data-status=scheduled]").wait_for()

    page.get_by_role("button", name="Change or reschedule").click()
    page.locator("#compose-title").filter(has_text="Change alert").wait_for()
    title_field = page.get_by_label("Title", exact=True)
    for _ in range(50):
        if title_field.input_value() == first_title:
            break
        page.wait_for_timeout(100)
    assert title_field.input_value() == first_title
    assert page.get_by_label("Radius in metres").input_value() == "900"
    title_field.fill(changed_title)
    page.get_by_label("Send at (optional, UK time)").fill(uk_minutes_ahead(1))
    page.get_by_role("button", name="Save changes").click()
    page.locator("[data-view=alert]").wait_for(state="visible")
    assert "Changes saved" in page.locator("#console-status").inner_text()
    page.locator("#alert-title-heading").filter(has_text=changed_title).wait_for()
    assert "changed title, send_at" in page.locator("#alert-audit").inner_text()

    page.locator("#alert-status[data-status=sent]").wait_for(timeout=ALERT_SECONDS + 120_000)
    email = wait_for_message(site_url, resident["email"], lambda m: "appeal" in (m.get("subject") or ""),
                             "the rescheduled alert")
    assert changed_title in email["subject"] and first_title not in email["subject"]
