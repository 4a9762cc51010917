"""Reach, decided exactly in metres (domain/scope.py, domain/projection.py): no AWS here."""

from __future__ import annotations

import math

import shapely

from chalicelib.domain.coverage import Area, Circle, distance_m
from chalicelib.domain.projection import LocalPlane, shape_of
from chalicelib.domain.scope import MAX_FROZEN_CHARACTERS, TOLERANCE_M, FrozenScope, freeze, target_within, thaw

LAT, LNG = 52.8, -2.1


def east(metres: float) -> float:
    return LNG + metres / (111_320 * math.cos(math.radians(LAT)))


def north(metres: float) -> float:
    return LAT + metres / 111_320


def square(west_m: float, east_m: float, south_m: float = -5000, north_m: float = 5000) -> dict[str, object]:
    ring = [[east(west_m), north(south_m)], [east(east_m), north(south_m)], [east(east_m), north(north_m)],
            [east(west_m), north(north_m)], [east(west_m), north(south_m)]]
    return {"type": "Polygon", "coordinates": [ring]}


PERMITTED = shape_of(square(-5000, 0))  # everything west of the meridian through LNG, 10 km tall


def test_the_plane_keeps_distances_from_its_centre_exact() -> None:
    plane = LocalPlane(LAT, LNG)
    for lat, lng in ((north(20_000), LNG), (LAT, east(-15_000)), (north(-60_000), east(40_000))):
        x, y = plane.point(lat, lng)
        assert abs(math.hypot(x, y) - distance_m(LAT, LNG, lat, lng)) < 0.01


def test_a_circle_touching_the_edge_within_the_tolerance_is_in_and_one_beyond_is_out() -> None:
    radius = 1000
    inside = Circle(LAT, east(-radius - 1), radius)  # 1 m clear of the edge
    assert target_within(inside, PERMITTED)
    within_tolerance = Circle(LAT, east(-radius + TOLERANCE_M / 2), radius)
    assert target_within(within_tolerance, PERMITTED)
    spilling = Circle(LAT, east(-radius + 3 * TOLERANCE_M), radius)
    assert not target_within(spilling, PERMITTED)


def test_a_circle_is_tested_as_the_polygon_that_contains_it_not_by_its_centre() -> None:
    assert not target_within(Circle(LAT, east(-100), 1000), PERMITTED)  # the centre is well inside


def test_a_polygon_bridging_two_permitted_areas_is_out() -> None:
    two = shapely.union_all([shape_of(square(-5000, -3000)), shape_of(square(3000, 5000))])
    bridge = Area.from_geojson({"type": "Polygon", "coordinates": [[[east(-4000), LAT], [east(4000), LAT],
                                                                      [east(4000), north(100)],
                                                                      [east(-4000), LAT]]]})
    assert all(two.covers(shapely.Point(x, y)) for x, y in bridge.polygons[0][0])  # every vertex is permitted...
    assert not target_within(bridge, two)  # ...but not the land between
    assert not target_within(Circle(LAT, LNG, 500), shapely.Polygon())  # nothing permitted, nothing allowed


def test_the_frozen_scope_contains_the_reach_and_fits_an_item_even_for_a_detailed_boundary() -> None:
    # A boundary of 40,000 vertices, wiggling by about 5 m: the whole-force target takes all of it.
    steps = 40_000
    ring = []
    for k in range(steps):
        angle = 2 * math.pi * k / steps
        radius_m = 30_000 + 5 * math.sin(k * 1.3)
        ring.append([east(radius_m * math.cos(angle)), north(radius_m * math.sin(angle))])
    boundary = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    reach = shape_of(boundary)
    frozen = freeze(reach, Area.from_geojson(boundary))
    assert len(frozen) <= MAX_FROZEN_CHARACTERS
    stored = thaw(frozen)
    assert stored.covers(reach)  # nobody inside the reach is ever dropped
    assert shapely.hausdorff_distance(stored, reach) * 111_320 < 25  # and it lets in at most a few metres more
    scope = FrozenScope(frozen)
    assert scope.contains(LAT, LNG) and not scope.contains(north(30_100), LNG)


def test_an_approval_freezes_what_both_the_sender_and_the_approver_may_reach() -> None:
    target = Circle(LAT, east(-1000), 3000)
    sender = freeze(PERMITTED, target)
    approver = shape_of(square(-5000, -2000))
    both = FrozenScope(freeze(approver, target, sender))
    assert both.contains(LAT, east(-2500)) and not both.contains(LAT, east(-1500))
    assert not FrozenScope(None).contains(LAT, LNG)  # no frozen scope: nobody
