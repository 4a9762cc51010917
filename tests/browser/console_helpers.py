"""Driving the officer console (site/console/) as an officer would: sign in, draw on the map, fill the form."""

from __future__ import annotations

import math
import time
from typing import Any

from infra.local.token import code_for_now, user_record

SIGN_IN_SECONDS = 20_000


def demo_user(stack: dict[str, Any], username: str) -> dict[str, Any]:
    return user_record(stack, username)


def sign_in(page: Any, site_url: str, username: str, password: str, totp_secret: str) -> None:
    """Password, then the code of the authenticator app enrolled with `totp_secret`, all typed in the page."""
    page.goto(f"{site_url}/console/")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()
    page.locator("#code-form").wait_for(state="visible", timeout=SIGN_IN_SECONDS)
    page.get_by_label("The 6-digit code your authenticator app shows").fill(code_for_now(totp_secret))
    page.get_by_role("button", name="Sign in").click()
    page.locator("[data-view=alerts]").wait_for(state="visible", timeout=SIGN_IN_SECONDS)


def sign_in_as(page: Any, stack: dict[str, Any], username: str) -> None:
    user = demo_user(stack, username)
    sign_in(page, str(stack["site_url"]).rstrip("/"), user["username"], user["password"], user["totp_secret"])


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.locator("[data-view=signin]").wait_for(state="visible")


def map_point(page: Any, map_id: str, lat: float, lng: float) -> tuple[float, float]:
    """Where (lat, lng) is on the screen, in the page's coordinates, from Leaflet's own projection."""
    x, y = page.evaluate(
        """([id, lat, lng]) => {
            const map = HexMap.instances[id].map;
            const point = map.latLngToContainerPoint([lat, lng]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + point.x, box.top + point.y];
        }""", [map_id, lat, lng])
    return float(x), float(y)


def pan_to(page: Any, map_id: str, lat: float, lng: float, zoom: int = 14) -> None:
    """Centre the map here, as an officer does with the mouse wheel and a drag before drawing."""
    page.locator(f"#{map_id}[data-rendered=true]").wait_for()
    if map_id == "compose-map":  # the force's areas arrive after the basemap, and fit the map to the force once
        page.locator(f"#{map_id}[data-areas=shown]").wait_for()
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    page.evaluate("([id, lat, lng, zoom]) => HexMap.instances[id].map.setView([lat, lng], zoom, {animate: false})",
                  [map_id, lat, lng, zoom])


def draw_circle(page: Any, map_id: str, lat: float, lng: float, radius_m: float) -> None:
    """Press at the centre and drag out to the edge, due east: the console's circle tool."""
    pan_to(page, map_id, lat, lng)
    east = lng + radius_m / (111_320 * math.cos(math.radians(lat)))
    start, edge = map_point(page, map_id, lat, lng), map_point(page, map_id, lat, east)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*edge, steps=10)
    page.mouse.up()


def map_has_rendered(page: Any, map_id: str, seconds: float = 15) -> bool:
    """The basemap loaded and Leaflet drew vector shapes (towns, areas, the target) into the map's panes, within
    `seconds` (the force's areas arrive after the basemap)."""
    deadline = time.monotonic() + seconds
    while True:
        if page.evaluate(
                """(id) => {
                    const el = document.getElementById(id);
                    return el.getAttribute('data-rendered') === 'true'
                        && el.querySelectorAll('.leaflet-overlay-pane path').length > 0;
                }""", map_id):
            return True
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(200)
