"""Residents place their pins on a map at signup and on their account page; the typed fields still work alone."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.browser.axe_helpers import assert_no_violations
from tests.browser.conftest import has_token_link, open_outbox, wait_for_message
from tests.browser.console_helpers import map_point, pan_to
from tests.browser.test_resident_journey import _wait_for_me

CANAL_BASIN = (52.8083, -2.1031)  # a point in Stafford, away from the postcode district's centroid


def test_a_resident_sets_a_pin_on_the_map_at_signup_and_moves_it_later(page: Any, site_url: str) -> None:
    email = f"pin-{uuid.uuid4().hex[:12]}@example.com"
    page.goto(f"{site_url}/")
    page.get_by_label("Email address").fill(email)
    page.locator("#loc0-postcode").fill("ST16")
    open_map = page.locator("#location-0 .place-map-tools button")
    assert open_map.inner_text() == "Place a pin on a map"
    open_map.click()
    assert open_map.get_attribute("aria-expanded") == "true"
    map_id = str(page.locator("#location-0 .map").get_attribute("id"))
    pan_to(page, map_id, *CANAL_BASIN, zoom=14)
    assert page.locator(f"#{map_id} .leaflet-overlay-pane path").count() > 0, "the basemap did not render"
    assert_no_violations(page, "the signup page with its map open")
    page.mouse.click(*map_point(page, map_id, *CANAL_BASIN))
    page.locator(f"#{map_id}[data-pinned=true]").wait_for()
    assert abs(float(page.locator("#loc0-lat").input_value()) - CANAL_BASIN[0]) < 0.0003
    assert abs(float(page.locator("#loc0-lng").input_value()) - CANAL_BASIN[1]) < 0.0003
    assert page.locator("#loc0-postcode").input_value() == "", "a pinned place keeps no postcode"
    assert page.locator(f"#{map_id} .leaflet-marker-icon").count() == 1
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Crime and incidents, including witness appeals").check()
    page.get_by_label("I am 12 years old or over").check()
    page.locator("#consent").check()
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/signup-sent.html")

    wait_for_message(site_url, email, has_token_link("/verify.html"), "confirmation email")
    open_outbox(page, site_url)
    article = page.locator("article").filter(has_text=email).filter(has=page.locator("a[href*='/verify.html']"))
    article.first.locator("ul.links a[href*='/verify.html']").first.click()
    page.get_by_role("button", name="Confirm my email address").click()
    page.locator("#account").wait_for(state="visible")
    session = str(page.evaluate("() => sessionStorage.getItem('hexwatch.session')"))
    me = _wait_for_me(site_url, session, lambda m: bool(m["locations"]), "the place")
    assert me["locations"][0]["precision"] == "point"
    assert abs(me["locations"][0]["lat"] - CANAL_BASIN[0]) < 0.0003

    # On the account page the map opens on the stored pin; the keyboard moves the map and Enter re-pins it.
    place = page.locator("#location-list fieldset.location").first
    place.get_by_role("button", name="Place a pin on a map").click()
    account_map = place.locator(".map")
    account_map.locator(".leaflet-marker-icon").wait_for()
    account_map.focus()
    map_id = str(account_map.get_attribute("id"))
    centre = f"() => HexMap.instances['{map_id}'].map.getCenter().lng"
    before = page.evaluate(centre)
    for step in range(1, 4):  # Leaflet ignores a key while the last pan still glides: wait for each, as a person does
        page.keyboard.press("ArrowRight")
        deadline = time.monotonic() + 10
        while page.evaluate(centre) <= before + step * 0.005:
            assert time.monotonic() < deadline, f"arrow key {step} did not move the map east"
            page.wait_for_timeout(200)
        page.wait_for_timeout(400)  # the rest of the glide (a key pressed during it is ignored)
    page.keyboard.press("Enter")
    moved = float(place.locator('input[id$="-lng"]').input_value())
    assert moved > CANAL_BASIN[1] + 0.015, "the keyboard did not move the pin east"
    page.get_by_role("button", name="Save changes").click()
    page.locator("#manage-status").filter(has_text="Your changes have been saved").wait_for()
    me = _wait_for_me(site_url, session, lambda m: abs(m["locations"][0]["lng"] - moved) < 0.0001, "the moved pin")
    assert me["locations"][0]["precision"] == "point"
