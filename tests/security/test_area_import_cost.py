"""What an imported area costs to check, and what is refused: no AWS here.

The caps are checked before any geometry work; validity is GEOS's O(n log n) check, not a pairwise loop, so the
worst shapes at the cap (a comb, a spiral) are checked in a fraction of a second. The times are printed, not asserted.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
import shapely

from chalicelib.domain.areas import (
    DRAWN_MAX_POSITIONS,
    IMPORT_MAX_POSITIONS,
    IMPORT_MAX_TOTAL_POSITIONS,
    WGS84_CRS_NAMES,
    checked_area,
    import_document_errors,
    outside_boundary,
)
from chalicelib.domain.errors import FieldError, HexwatchError
from chalicelib.domain.projection import shape_of
from chalicelib.domain.validation import SchemaLibrary
from infra.import_areas import map_properties

ROOT = Path(__file__).parents[2]
SCHEMAS = SchemaLibrary(ROOT / "schemas")
WHERE = "/features/3/geometry"
STAFFORD = (52.8066, -2.1167)
SQUARE = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.2, 52.9], [-2.2, 52.7]]  # anticlockwise
HOLE = [[-2.15, 52.75], [-2.15, 52.85], [-2.05, 52.85], [-2.05, 52.75], [-2.15, 52.75]]  # clockwise


def polygon(*rings: list[Any]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def check(geometry: dict[str, Any], cap: int = IMPORT_MAX_POSITIONS) -> tuple[dict[str, Any], dict[str, str]]:
    normalised, errors = checked_area(geometry, WHERE, max_positions=cap)
    return normalised, {error.pointer: error.message for error in errors}


def wiggly_ring(count: int, lat: float = STAFFORD[0], lng: float = STAFFORD[1], radius: float = 0.1) -> list[Any]:
    """A closed, anticlockwise ring of `count` positions with a wiggle, like a boundary that follows field edges."""
    points = []
    for step in range(count - 1):
        angle = 2 * math.pi * step / (count - 1)
        r = radius * (1 + 0.02 * math.sin(angle * 997))
        points.append([round(lng + 1.6 * r * math.cos(angle), 7), round(lat + r * math.sin(angle), 7)])
    return [*points, points[0]]


def comb(count: int, lat: float = STAFFORD[0], lng: float = STAFFORD[1]) -> list[Any]:
    """Long thin teeth 10 m apart: every edge is close to hundreds of others, the pairwise check's worst case."""
    teeth, width = (count - 5) // 4, 0.00008
    points: list[Any] = []
    for tooth in range(teeth):
        x = lng + 2 * width * tooth
        points += [[x, lat], [x, lat + 0.05], [x + width, lat + 0.05], [x + width, lat + 0.0001]]
    end = lng + 2 * width * teeth
    return [*points, [end, lat + 0.0001], [end, lat - 0.01], [lng, lat - 0.01], [lng, lat - 0.005], [lng, lat]]


def spiral(count: int, lat: float = STAFFORD[0], lng: float = STAFFORD[1]) -> list[Any]:
    """In along one arm, out along a parallel one a few metres away: hundreds of turns, each near its neighbours."""
    half = (count - 1) // 2

    def arm(offset: float) -> list[list[float]]:
        return [[lng + (0.0005 + 0.00002 * i * 0.05 + offset) * math.cos(i * 0.05) * 1.6,
                 lat + (0.0005 + 0.00002 * i * 0.05 + offset) * math.sin(i * 0.05)] for i in range(half)]

    points = arm(0.0) + list(reversed(arm(0.00003)))
    return [*points, points[0]]


def timed(label: str, geometry: dict[str, Any]) -> dict[str, str]:
    started = time.perf_counter()
    _, errors = check(geometry)
    print(f"\n{label}: {sum(len(ring) for ring in geometry['coordinates']):,} positions checked in "
          f"{time.perf_counter() - started:.3f} s")
    return errors


def test_a_large_area_at_the_cap_is_accepted_and_one_over_is_refused_before_any_geometry_work() -> None:
    at_cap = wiggly_ring(IMPORT_MAX_POSITIONS)
    assert timed("wiggly boundary at the cap", polygon(at_cap)) == {}
    # Positions that any geometry work would choke on: the count refuses them first.
    over = polygon([["not", "a number"]] * (IMPORT_MAX_POSITIONS + 1))
    normalised, errors = check(over)
    assert errors == {WHERE + "/coordinates": f"has {IMPORT_MAX_POSITIONS + 1:,} positions, more than "
                                              f"{IMPORT_MAX_POSITIONS:,}: simplify it (to about 10 m)"}
    assert normalised is over
    # Drawn polygons have their own, lower cap.
    assert WHERE + "/coordinates" in check(polygon(wiggly_ring(DRAWN_MAX_POSITIONS + 1)), DRAWN_MAX_POSITIONS)[1]


def test_a_comb_and_a_spiral_at_the_cap_are_checked_quickly_and_correctly() -> None:
    teeth = comb(IMPORT_MAX_POSITIONS)
    assert len(teeth) <= IMPORT_MAX_POSITIONS
    assert timed("comb at the cap", polygon(teeth)) == {}
    coil = spiral(IMPORT_MAX_POSITIONS)
    assert timed("spiral at the cap", polygon(coil)) == {}
    # One tooth bent across its neighbour: found, among 50,000 positions, with the ring named and the place given.
    bent = [list(position) for position in teeth]
    bent[4001][0] += 0.0003
    errors = timed("comb with one bent tooth", polygon(bent))
    assert list(errors) == [WHERE + "/coordinates/0"]
    assert errors[WHERE + "/coordinates/0"].startswith("the ring crosses or touches itself near latitude 52.8")


def test_a_whole_import_at_its_caps_is_bounded() -> None:
    """Everything the API does with an import at its caps, but the database: count, schema, geometry, boundary."""
    boundary = polygon(wiggly_ring(IMPORT_MAX_POSITIONS, radius=0.3))
    count = IMPORT_MAX_TOTAL_POSITIONS // IMPORT_MAX_POSITIONS
    areas = [polygon(wiggly_ring(IMPORT_MAX_POSITIONS, lat=STAFFORD[0] + 0.1 * k, radius=0.05)) for k in range(count)]
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": f"area-{k}", "properties": {"name": f"Area {k}"}, "geometry": geometry}
        for k, geometry in enumerate(areas)]}
    started = time.perf_counter()
    body = json.dumps(document)
    assert import_document_errors(json.loads(body)) == []
    assert SCHEMAS.errors("areas-import", document) == []
    outline = shape_of(boundary)
    for geometry in areas:
        normalised, errors = checked_area(geometry, WHERE, max_positions=IMPORT_MAX_POSITIONS)
        assert errors == [] and outside_boundary(shape_of(normalised), outline) is None
    print(f"\nan import of {count * IMPORT_MAX_POSITIONS:,} positions ({len(body) / 1e6:.1f} MB) against a boundary of "
          f"{IMPORT_MAX_POSITIONS:,}: {time.perf_counter() - started:.2f} s")


def test_rings_either_way_round_are_accepted_and_kept_by_the_right_hand_rule() -> None:
    backwards = polygon([[*p, 120.0] for p in reversed(SQUARE)], list(reversed(HOLE)))
    normalised, errors = check(backwards)
    assert errors == {}
    assert normalised == polygon(SQUARE, HOLE)  # outer anticlockwise, hole clockwise, altitudes dropped
    multi = {"type": "MultiPolygon", "coordinates": [[list(reversed(SQUARE))], [[[x + 0.5, y] for x, y in SQUARE]]]}
    normalised, errors = check(multi)
    assert errors == {}
    assert all(shapely.is_ccw(shapely.LinearRing(part[0])) for part in normalised["coordinates"])


def test_crossing_and_touching_rings_are_refused_naming_the_ring() -> None:
    bow_tie = [[-2.2, 52.7], [-2.0, 52.9], [-2.0, 52.7], [-2.2, 52.9], [-2.2, 52.7]]
    assert check(polygon(bow_tie))[1] == {
        WHERE + "/coordinates/0": "the ring crosses or touches itself near latitude 52.80000, longitude -2.10000"}
    # Pinched: the ring comes back to touch one of its own edges at a single point.
    pinched = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.1, 52.7], [-2.2, 52.9], [-2.2, 52.7]]
    assert "touches itself near latitude 52.70000, longitude -2.10000" in check(polygon(pinched))[1][
        WHERE + "/coordinates/0"]
    # A hole that runs along its outer ring, and a second polygon whose ring crosses itself.
    along_the_edge = [[-2.2, 52.75], [-2.1, 52.75], [-2.1, 52.8], [-2.2, 52.8], [-2.2, 52.75]]
    assert "crosses or touches another ring" in check(polygon(SQUARE, along_the_edge))[1][WHERE + "/coordinates/1"]
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE], [[[x + 0.5, y] for x, y in bow_tie]]]}
    assert list(check(multi)[1]) == [WHERE + "/coordinates/1/0"]
    # And the rest of what a ring must be.
    assert "not closed" in check(polygon([*SQUARE[:-1], [-2.2, 52.8]]))[1][WHERE + "/coordinates/0"]
    assert "four positions" in check(polygon(SQUARE[:3]))[1][WHERE + "/coordinates/0"]
    flat = [[-2.2, 52.7], [-2.1, 52.7], [-2.0, 52.7], [-2.2, 52.7]]
    assert "encloses no area" in check(polygon(SQUARE, flat))[1][WHERE + "/coordinates/1"]


def test_a_crs_other_than_wgs84_is_refused_naming_crs() -> None:
    def refused(crs: Any) -> list[str]:
        return [e.pointer for e in import_document_errors({"type": "FeatureCollection", "features": [], "crs": crs})]

    for name in ("urn:ogc:def:crs:EPSG::27700", "EPSG:3857", "urn:ogc:def:crs:EPSG::29903"):
        assert refused({"type": "name", "properties": {"name": name}}) == ["/crs"]
    assert refused({"type": "link", "properties": {"href": "http://example.org/crs", "type": "proj4"}}) == ["/crs"]
    assert refused(None) == ["/crs"]  # GeoJSON 2008's "no CRS can be assumed"
    for name in WGS84_CRS_NAMES:
        assert refused({"type": "name", "properties": {"name": name}}) == []
    # The schema takes the same names, so a WGS 84 crs passes both.
    crs_names = SCHEMAS.documents["areas-import.json"]["properties"]["crs"]["properties"]["properties"]
    assert tuple(crs_names["properties"]["name"]["enum"]) == WGS84_CRS_NAMES


def test_the_schema_takes_what_ogr2ogr_writes_and_no_other_members() -> None:
    wards = json.loads((ROOT / "tests" / "events" / "ogr2ogr-wards.geojson").read_text(encoding="utf-8"))
    assert map_properties(wards, "WD24CD", "WD24NM") == []
    assert SCHEMAS.errors("areas-import", wards) == []
    wards["features"][0]["geometry"]["coordinates"][0][0].append(98.2)  # an altitude
    assert SCHEMAS.errors("areas-import", wards) == []
    wards["stray"] = 1
    wards["features"][1]["stray"] = 1
    wards["features"][2]["geometry"]["bbox"] = [0, 0, 1, 1]
    assert {e.pointer for e in SCHEMAS.errors("areas-import", wards)} == {
        "/stray", "/features/1/stray", "/features/2/geometry/bbox"}
    ring = SCHEMAS.documents["areas-import.json"]["$defs"]["ring"]
    assert ring["maxItems"] >= IMPORT_MAX_POSITIONS


def test_an_import_over_the_total_cap_is_refused_naming_the_features() -> None:
    part = IMPORT_MAX_TOTAL_POSITIONS // 3 + 1
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 50]] * part]}} for _ in range(3)]}
    assert [e.pointer for e in import_document_errors(document)] == ["/features"]
    # Whatever stands where positions should be counts, so junk cannot slip past the count into the schema.
    junks: list[list[Any]] = [[[]] * (IMPORT_MAX_POSITIONS + 1), [[[0, 50]], *[7] * IMPORT_MAX_POSITIONS]]
    for junk in junks:
        collection = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": junk}}]}
        assert "/features/0/geometry/coordinates" in [e.pointer for e in import_document_errors(collection)]
    too_many = {"type": "FeatureCollection", "features": [{}] * 201}
    assert [e.pointer for e in import_document_errors(too_many)] == ["/features"]


def test_a_file_wrong_at_every_position_gets_the_first_hundred_problems_not_all_of_them() -> None:
    swapped = [[lat, lng] for lng, lat in wiggly_ring(5_000)]  # latitude first: every position is out of range
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "swapped", "properties": {"name": "Swapped"},
         "geometry": {"type": "Polygon", "coordinates": [swapped]}}]}
    with pytest.raises(HexwatchError) as refused:
        SCHEMAS.validate("areas-import", document)
    assert len(refused.value.errors) == 101
    assert refused.value.errors[0].pointer == "/features/0/geometry/coordinates/0/0/0"
    assert refused.value.errors[-1] == FieldError("", "and 9,900 more problems")
