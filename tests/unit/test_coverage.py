"""The H3 cover of a target misses nobody, reads little more than the target, and needs few queries."""

from __future__ import annotations

import math

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.coverage import (
    Area,
    Circle,
    cover,
    cover_resolution,
    distance_m,
    merge_ranges,
)
from chalicelib.domain.geo import location_key, ranges_for_cell

STAFFORD = (52.8066, -2.1167)


def covered(key_ranges, lat: float, lng: float) -> bool:  # type: ignore[no-untyped-def]
    key = location_key(lat, lng)
    sort_key = key.sort_key("01RESIDENT", "L1")
    return any(r.partition == key.partition and r.low <= sort_key <= r.high for r in key_ranges)


def offset(lat: float, lng: float, metres: float, bearing: float) -> tuple[float, float]:
    d_lat = metres * math.cos(bearing) / 111_320
    d_lng = metres * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return lat + d_lat, lng + d_lng


@pytest.mark.parametrize(("radius", "resolution"), [(50, 14), (200, 12), (1_000, 11), (3_000, 10), (20_000, 8)])
def test_the_resolution_follows_the_size_of_the_area(radius: int, resolution: int) -> None:
    assert cover_resolution(radius) == resolution


@pytest.mark.parametrize("radius", [50, 200, 1_000, 3_000, 20_000])
def test_circles_read_at_most_ten_percent_more_than_their_area_in_few_queries(radius: int) -> None:
    result = cover(Circle(*STAFFORD, radius))
    amplification = sum(h3.cell_area(cell, "m^2") for cell in result.cells) / (math.pi * radius**2)
    assert 1.0 <= amplification <= 1.10
    assert len(result.ranges) <= 300


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(50.5, 55.5), lng=st.floats(-4.5, 1.0), radius=st.floats(50, 20_000),
       fraction=st.floats(0, 0.9999), bearing=st.floats(0, 2 * math.pi))
def test_no_one_inside_a_circle_is_missed(lat: float, lng: float, radius: float, fraction: float,
                                          bearing: float) -> None:
    point = offset(lat, lng, radius * fraction, bearing)
    circle = Circle(lat, lng, radius)
    if not circle.contains(*point):  # the flat offset can land a hair outside at the rim
        return
    assert covered(cover(circle).ranges, *point)


@settings(max_examples=100, deadline=None)
@given(lat=st.floats(50.5, 55.5), lng=st.floats(-4.5, 1.0), radius=st.floats(50, 5_000))
def test_merging_ranges_changes_nothing_but_their_number(lat: float, lng: float, radius: float) -> None:
    result = cover(Circle(lat, lng, radius))
    unmerged = [r for cell in result.cells for r in ranges_for_cell(cell)]
    assert len(result.ranges) <= len(unmerged)
    for first, second in zip(result.ranges, result.ranges[1:], strict=False):
        assert (first.partition, first.high) < (second.partition, second.low), "merged ranges never overlap"
    # Every point of every cell is read by the merged ranges exactly when it is read by the unmerged ones.
    for cell in result.cells[:: max(1, len(result.cells) // 20)]:
        lat_c, lng_c = h3.cell_to_latlng(cell)
        assert covered(result.ranges, lat_c, lng_c) and covered(unmerged, lat_c, lng_c)
    outside = offset(lat, lng, radius * 3 + 2_000, 1.0)
    assert covered(result.ranges, *outside) == covered(unmerged, *outside)


def test_siblings_merge_into_one_range() -> None:
    parent = h3.latlng_to_cell(*STAFFORD, 9)
    children = sorted(h3.cell_to_children(parent, 10))
    merged = merge_ranges(r for child in children for r in ranges_for_cell(child))
    assert merged == ranges_for_cell(parent)


def test_polygons_with_holes_and_multipolygons() -> None:
    lat, lng = STAFFORD
    outer = [[lng - 0.02, lat - 0.01], [lng + 0.02, lat - 0.01], [lng + 0.02, lat + 0.01], [lng - 0.02, lat + 0.01],
             [lng - 0.02, lat - 0.01]]
    hole = [[lng - 0.005, lat - 0.002], [lng + 0.005, lat - 0.002], [lng + 0.005, lat + 0.002],
            [lng - 0.005, lat + 0.002], [lng - 0.005, lat - 0.002]]
    area = Area.from_geojson({"type": "Polygon", "coordinates": [outer, hole]})
    assert area.contains(lat + 0.008, lng) and not area.contains(lat, lng) and not area.contains(lat + 0.02, lng)
    result = cover(area)
    assert covered(result.ranges, lat + 0.008, lng + 0.019)
    far = [[c[0] + 1.0, c[1]] for c in outer]
    multi = Area.from_geojson({"type": "MultiPolygon", "coordinates": [[outer], [far]]})
    assert multi.contains(lat, lng + 1.0) and covered(cover(multi).ranges, lat, lng + 1.0)
    metres_per_degree = 111_195
    width = 0.04 * metres_per_degree * math.cos(math.radians(lat))
    expected = width * 0.02 * metres_per_degree - width / 4 * 0.004 * metres_per_degree
    assert abs(area.area_m2() - expected) / expected < 0.01


def test_distance_is_great_circle() -> None:
    assert abs(distance_m(52.8066, -2.1167, 53.0027, -2.1794) - 22_190) < 150  # Stafford to Stoke
