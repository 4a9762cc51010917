"""A target's cost is bounded before it is searched, and a preview cannot single out a household (issue 7, bounded
cost and previews).

The preview is driven in-process through the Chalice test client against the emulator: a comb-shaped polygon
(800 vertices, whose cover at the area's own resolution was 462k cells) and a drawn polygon of 5,000 vertices are
refused with a 4xx naming the target within 2 s; a polygon around one house is refused; a 1 km circle is still
fine; and counts under 5 show as "fewer than 5".
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.progress import Progress, audience_view
from tests.conftest import SENDER, SITE_URL
from tests.integration.alert_helpers import STAFFORD, AlertStack, alert_body, module_alert_stack, offset

FEWER = "fewer than 5"


@pytest.fixture(scope="module")
def stack(emulator) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    """One stack for the module (as `fresh_stack` deploys one per test)."""
    with module_alert_stack(emulator, SENDER, SITE_URL) as alerts:
        yield alerts


def metres_to_degrees(lat: float) -> tuple[float, float]:
    return 1 / (111_320 * math.cos(math.radians(lat))), 1 / 111_320


def comb(lat: float, lng: float, teeth: int, tooth_m: float, gap_m: float, length_m: float) -> dict[str, Any]:
    """A GeoJSON Polygon shaped like a comb: `teeth` teeth on a spine, 4 vertices a tooth."""
    dx, dy = metres_to_degrees(lat)
    points = [(0.0, 0.0)]
    x = 0.0
    for index in range(teeth):
        last = index == teeth - 1
        points += [(x, length_m), (x + tooth_m, length_m), (x + tooth_m, 0.0 if last else tooth_m)]
        x += tooth_m + gap_m
        if not last:
            points.append((x, tooth_m))
    ring = [[lng + px * dx, lat + py * dy] for px, py in points]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def drawn_circle(lat: float, lng: float, radius_m: float, vertices: int) -> dict[str, Any]:
    dx, dy = metres_to_degrees(lat)
    ring = [[lng + radius_m * math.cos(2 * math.pi * i / vertices) * dx,
             lat + radius_m * math.sin(2 * math.pi * i / vertices) * dy] for i in range(vertices)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def square(lat: float, lng: float, side_m: float) -> dict[str, Any]:
    dx, dy = metres_to_degrees(lat)
    ring = [[lng, lat], [lng + side_m * dx, lat], [lng + side_m * dx, lat + side_m * dy], [lng, lat + side_m * dy]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def timed_preview(stack: AlertStack, geometry: dict[str, Any], label: str) -> tuple[Any, float]:
    body = alert_body(target={"type": "polygon", "geometry": geometry})
    start = time.perf_counter()
    response = stack.call("POST", "/v1/alerts/preview", body=body)
    elapsed = time.perf_counter() - start
    print(f"{label}: {response.status_code} in {elapsed * 1000:.0f} ms")
    return response, elapsed


def pointers(response: Any) -> dict[str, str]:
    return {e["pointer"]: e["message"] for e in json.loads(response.body)["errors"]}


def test_an_800_vertex_comb_is_refused_naming_the_target_within_2_s(stack: AlertStack) -> None:
    geometry = comb(*STAFFORD, teeth=200, tooth_m=2, gap_m=18, length_m=2000)
    assert len(geometry["coordinates"][0]) == 801
    response, elapsed = timed_preview(stack, geometry, "800-vertex comb")
    assert response.status_code == 400, response.body
    errors = pointers(response)
    assert list(errors) == ["/target"] and "outline" in errors["/target"]
    assert elapsed < 2.0
    assert stack.call("POST", "/v1/alerts", body=alert_body(target={"type": "polygon", "geometry": geometry})
                      ).status_code == 400


def test_a_5000_vertex_drawn_polygon_is_refused_under_the_target_within_2_s(stack: AlertStack) -> None:
    response, elapsed = timed_preview(stack, drawn_circle(*STAFFORD, 1000, 5000), "5,000-vertex polygon")
    assert response.status_code == 400, response.body
    # The drawn polygon's own schema (schemas/alert.json drawn_ring), not the areas import's 50,000 a ring.
    assert pointers(response) == {"/target/geometry/coordinates/0": "can have at most 1000"}
    assert elapsed < 2.0


def test_a_polygon_around_one_house_is_refused_and_a_1_km_circle_is_still_fine(stack: AlertStack) -> None:
    stack.resident(*offset(*STAFFORD, 10, 10), ["email"])
    response, _ = timed_preview(stack, square(*STAFFORD, 25), "25 m square")
    assert response.status_code == 400, response.body
    errors = pointers(response)
    assert list(errors) == ["/target"] and "m2" in errors["/target"]
    circle = stack.call("POST", "/v1/alerts/preview", body=alert_body())
    assert circle.status_code == 200, circle.body
    response, _ = timed_preview(stack, drawn_circle(*STAFFORD, 1000, 999), "999-vertex polygon")
    assert response.status_code == 200, response.body


def test_a_preview_reaching_3_residents_says_fewer_than_5(stack: AlertStack) -> None:
    centre = offset(*STAFFORD, 8000, 8000)  # away from the other tests' residents
    for step in range(3):
        stack.resident(*offset(*centre, 50 * step, 0), ["email", "sms"])
    body = alert_body(target={"type": "circle", "center": {"lat": centre[0], "lng": centre[1]}, "radius_m": 500},
                      channels=["email", "sms", "voice"])
    response = stack.call("POST", "/v1/alerts/preview", body=body)
    assert response.status_code == 200, response.body
    preview = json.loads(response.body)
    assert preview["residents"] == FEWER
    assert preview["by_channel"] == {"email": FEWER, "sms": FEWER, "voice": FEWER}  # voice: none, shown alike
    assert preview["by_language"] == {}
    sms = preview["estimate"]["sms"]
    assert sms["messages"] == FEWER and str(sms["cost_gbp"]).startswith("under ")
    assert str(preview["estimate"]["total_cost_gbp"]).startswith("under ")
    assert "3" not in json.dumps({k: preview[k] for k in ("residents", "by_channel", "by_language")})


def test_an_alerts_frozen_audience_hides_counts_under_5() -> None:
    progress = Progress(shards_total=1, shards_done=frozenset({"0"}), audience={"email": 3, "sms": 12},
                        suppressed={"email": 1})
    view = audience_view(progress, ["email", "sms", "push"])
    assert view["by_channel"] == {"email": FEWER, "push": FEWER, "sms": 12}
    assert view["suppressed"] == {"email": FEWER}
