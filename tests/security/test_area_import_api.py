"""Imported areas through POST /v1/areas on the emulator: a file as ogr2ogr writes it imports once its properties are
mapped, a file in another coordinate system is refused at /crs, an oversized file is refused before the schema, and
an area must lie wholly inside its organisation's boundary, not just at its vertices."""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely

from chalicelib.domain.areas import IMPORT_MAX_POSITIONS, IMPORT_MAX_TOTAL_POSITIONS
from infra.import_areas import map_properties, slug
from infra.local.demo import DEMO_BOUNDARY
from tests.integration.alert_helpers import AlertStack, serving_alert_stack
from tests.security.test_area_import_cost import wiggly_ring

WARDS = Path(__file__).parents[1] / "events" / "ogr2ogr-wards.geojson"
WARD_IDS = ["e05015529", "e05015531", "e05015526"]
DEMO_AREA_IDS = {"boundary", "stafford", "stoke-on-trent", "newcastle-under-lyme", "burton-upon-trent", "tamworth",
                 "lichfield", "cannock", "leek"}


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    """The demo force with its boundary and town areas, and its officers signed in."""
    yield from serving_alert_stack(emulator, fresh_stack)


def wards() -> dict[str, Any]:
    return dict(json.loads(WARDS.read_text(encoding="utf-8")))


def errors(response: Any) -> dict[str, str]:
    return {e["pointer"]: e["message"] for e in json.loads(response.body)["errors"]}


def stored(stack: AlertStack) -> dict[str, dict[str, Any]]:
    listed = stack.call("GET", "/v1/areas", "supervisor")
    assert listed.status_code == 200, listed.body
    return {area["id"]: area for area in json.loads(listed.body)["areas"]}


def test_a_file_written_by_ogr2ogr_imports_once_its_properties_are_mapped(stack: AlertStack) -> None:
    as_written = wards()
    assert as_written["name"] and "bbox" in as_written and "bbox" in as_written["features"][0]  # GDAL's members
    unmapped = stack.call("POST", "/v1/areas", "supervisor", as_written)
    assert unmapped.status_code == 400 and errors(unmapped)["/features/0/id"] == "is required"

    mapped = wards()
    assert map_properties(mapped, "WD24CD", "WD24NM") == []
    # One ward arrives the wrong way round and in 3-D, as other tools write it: both are accepted.
    forebridge = mapped["features"][1]["geometry"]["coordinates"]
    forebridge[:] = [[[*position, 102.5] for position in reversed(ring)] for ring in forebridge]
    response = stack.call("POST", "/v1/areas", "supervisor", mapped)
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["imported"] == WARD_IDS

    areas = stored(stack)
    assert {areas[area_id]["name"] for area_id in WARD_IDS} == {"Coton", "Forebridge", "Baswich"}
    kept = areas["e05015531"]["geometry"]["coordinates"]
    assert all(len(position) == 2 for ring in kept for position in ring)
    assert shapely.is_ccw(shapely.LinearRing(kept[0])) and not shapely.is_ccw(shapely.LinearRing(kept[1]))
    baswich = areas["e05015526"]["geometry"]
    assert baswich["type"] == "MultiPolygon" and all(shapely.is_ccw(shapely.LinearRing(polygon[0]))
                                                     for polygon in baswich["coordinates"])


def test_a_file_in_another_coordinate_system_is_refused_naming_crs_and_wgs84_is_accepted(stack: AlertStack) -> None:
    # GDAL without RFC7946=YES, from British National Grid: the crs member, and coordinates in metres.
    in_metres = wards()
    map_properties(in_metres, "WD24CD", "WD24NM")
    in_metres["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    for feature in in_metres["features"]:
        feature["geometry"] = {"type": "Polygon", "coordinates": [[[393000, 323000], [394000, 323000],
                                                                   [394000, 324000], [393000, 323000]]]}
    refused = stack.call("POST", "/v1/areas", "supervisor", in_metres)
    assert refused.status_code == 400
    found = errors(refused)
    assert list(found) == ["/crs"] and "EPSG::27700" in found["/crs"] and "WGS 84" in found["/crs"]
    assert set(stored(stack)) == DEMO_AREA_IDS

    in_degrees = wards()
    map_properties(in_degrees, "WD24CD", "WD24NM")
    in_degrees["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    accepted = stack.call("POST", "/v1/areas", "supervisor", in_degrees)
    assert accepted.status_code == 201, accepted.body


def test_an_area_poking_outside_the_boundary_between_two_of_its_vertices_is_refused(stack: AlertStack) -> None:
    # The demo boundary turns inwards at (-1.77, 53.00). This triangle has every vertex inside the boundary, so the
    # old vertex-by-vertex check let it through, but its northern edge cuts across the notch outside.
    triangle = [[-1.55, 52.90], [-1.85, 53.10], [-2.00, 52.90], [-1.55, 52.90]]
    boundary = shapely.Polygon(DEMO_BOUNDARY)
    assert all(boundary.contains(shapely.Point(position)) for position in triangle)
    assert not boundary.covers(shapely.Polygon(triangle))
    notch = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "across-the-notch", "properties": {"name": "Across the notch"},
         "geometry": {"type": "Polygon", "coordinates": [triangle]}}]}
    refused = stack.call("POST", "/v1/areas", "supervisor", notch)
    assert refused.status_code == 400
    found = errors(refused)
    assert list(found) == ["/features/0/geometry"]
    words, _, place = found["/features/0/geometry"].partition(" near latitude ")
    assert words == "reaches outside your organisation's boundary"
    lat, lng = (float(number) for number in place.replace("longitude", "").split(","))
    spot = shapely.Point(lng, lat)  # the place named is in the triangle and outside the boundary
    assert shapely.Polygon(triangle).covers(spot) and not boundary.covers(spot)
    assert "across-the-notch" not in stored(stack)


def test_a_file_over_the_position_caps_is_refused_before_the_schema_reads_it(stack: AlertStack) -> None:
    def square_of(count: int, west: float) -> dict[str, Any]:
        ring = [[round(west + 0.01 * step / count, 7), 52.8] for step in range(count - 1)] + [[west, 52.8]]
        return {"type": "Polygon", "coordinates": [ring]}

    per_area = IMPORT_MAX_TOTAL_POSITIONS // 3 + 1
    assert per_area <= IMPORT_MAX_POSITIONS
    too_many: dict[str, Any] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": f"part-{index}", "properties": {"name": f"Part {index}"},
         "geometry": square_of(per_area, -2.2 + 0.1 * index)} for index in range(3)]}
    too_many["features"].append(copy.deepcopy(too_many["features"][0]))
    too_many["features"][3]["id"] = "part-3"
    too_many["features"][3]["geometry"] = square_of(IMPORT_MAX_POSITIONS + 1, -1.9)
    started = time.perf_counter()
    refused = stack.call("POST", "/v1/areas", "supervisor", too_many)
    elapsed = time.perf_counter() - started
    print(f"\nrefused an import of {3 * per_area + IMPORT_MAX_POSITIONS + 1:,} positions in {elapsed:.2f} s")
    assert refused.status_code == 400
    found = errors(refused)
    # Only the counts: the rings are straight lines, which the schema passes and the geometry check would refuse.
    assert set(found) == {"/features/3/geometry/coordinates", "/features"}
    assert f"more than {IMPORT_MAX_POSITIONS:,}" in found["/features/3/geometry/coordinates"]


def test_ids_from_properties_become_the_api_s_slugs() -> None:
    assert slug("E05015529") == "e05015529"
    assert slug("  Highfields & Western Downs ") == "highfields-western-downs"
    assert slug("Ynys Môn") == "ynys-mon"
    assert slug("x" * 80 + " y") == "x" * 63
    assert slug("---") == ""
    collection: dict[str, Any] = {"features": [{"type": "Feature", "properties": {"CODE": "A 1"}},
                               {"type": "Feature", "properties": {"CODE": None}}]}
    assert map_properties(collection, "CODE", "CODE") == ["/features/1/properties/CODE: missing, or has no letters "
                                                           "or digits", "/features/1/properties/CODE: missing or empty"]
    assert collection["features"][0]["id"] == "a-1" and collection["features"][0]["properties"]["name"] == "A 1"


def test_a_force_sized_area_is_stored_compressed_and_one_too_detailed_to_store_is_refused(stack: AlertStack) -> None:
    def area(area_id: str, ring: list[list[float]]) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": area_id, "properties": {"name": area_id},
             "geometry": {"type": "Polygon", "coordinates": [ring]}}]}

    # 50,000 positions at ogr2ogr's 7 decimal places: 1.2 MB of JSON, three times DynamoDB's item limit.
    at_cap = wiggly_ring(IMPORT_MAX_POSITIONS)
    response = stack.call("POST", "/v1/areas", "supervisor", area("force-sized", at_cap))
    assert response.status_code == 201, response.body
    assert stored(stack)["force-sized"]["geometry"]["coordinates"][0] == at_cap
    # The same outline with every digit a double holds: past what even compressed text can keep in one item.
    noisy = [[lng + random.uniform(-1e-9, 1e-9), lat + random.uniform(-1e-9, 1e-9)] for lng, lat in at_cap[:-1]]
    refused = stack.call("POST", "/v1/areas", "supervisor", area("too-detailed", [*noisy, noisy[0]]))
    assert refused.status_code == 400
    assert errors(refused) == {"/features/0/geometry/coordinates": "is too detailed to store: simplify it"}
    assert "too-detailed" not in stored(stack)
