"""Named areas and drawn polygons: checking their geometry, and putting their rings the right way round. Pure: no AWS.

Validity is GEOS's, through shapely: closed rings of at least four positions that enclose some area and neither cross
nor touch themselves or each other. GEOS sorts the edges into an index before it looks for crossings, so the check
costs O(n log n) in the number of positions, where the pairwise loop it replaces cost O(n^2).

RFC 7946 (section 3.1.6) asks writers to follow the right-hand rule (outer rings anticlockwise, holes clockwise) but
tells parsers not to reject rings that do not, so the direction is normalised here rather than refused: the geometry
that `checked_area` hands back always follows the rule, whichever way it arrived.

The position count is checked before anything else, so that a huge area costs a count and nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from .errors import FieldError
from .scope import lies_within

Position = Sequence[float]

# A polygon an officer draws on a map: a thousand clicks is far more than any street or estate needs.
DRAWN_MAX_POSITIONS = 1_000
# One imported area: a force boundary from ONS or OS data simplified to about 10 m has some tens of thousands of
# positions. 50,000 also keeps an area's stored geometry (JSON, compressed) inside one DynamoDB item.
IMPORT_MAX_POSITIONS = 50_000
# One import request: the JSON Schema check costs about 25 us a position, so this bounds the whole request.
IMPORT_MAX_TOTAL_POSITIONS = 100_000
IMPORT_MAX_FEATURES = 200  # as schemas/areas-import.json says; checked first, so that the schema never sees more

# How GDAL and GeoJSON 2008 name WGS 84 longitude/latitude, the only coordinates an import may carry.
WGS84_CRS_NAMES = (
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "OGC:CRS84",
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
)

# Where GEOS reports a problem on a whole polygon, the ring that passes within this many degrees (about 1 cm) of the
# reported location is the one named.
_NEAR_DEGREES = 1e-7


def position_count(value: Any) -> int:
    """The positions inside a GeoJSON `coordinates` value, counted without trusting its shape, since this runs before
    the schema: anything that stands where a position or ring could be (a number, an empty list) counts as one, so the
    count bounds the schema's work whatever the body holds."""
    count, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list) and item and isinstance(item[0], list):
            pending.extend(item)
        else:
            count += 1
    return count


def import_document_errors(document: dict[str, Any]) -> list[FieldError]:
    """What must be refused in an import before the schema looks at it: a `crs` other than WGS 84 (every coordinate
    would also fail the schema, one error each), and areas or files with more positions than the caps."""
    errors: list[FieldError] = []
    if "crs" in document and not _is_wgs84(document["crs"]):
        errors.append(FieldError("/crs", f"names {_crs_name(document['crs'])}; send WGS 84 longitude and latitude "
                                         "(ogr2ogr -t_srs EPSG:4326 -lco RFC7946=YES writes it)"))
    features = document.get("features")
    if not isinstance(features, list):
        return errors  # the schema says what is wrong, cheaply
    if len(features) > IMPORT_MAX_FEATURES:
        return [*errors, FieldError("/features", f"has {len(features):,} features; one import may have at most "
                                                 f"{IMPORT_MAX_FEATURES}: split the file")]
    total = 0
    for index, feature in enumerate(features):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        count = position_count(geometry.get("coordinates")) if isinstance(geometry, dict) else 0
        total += count
        if count > IMPORT_MAX_POSITIONS:
            errors.append(_too_many(f"/features/{index}/geometry/coordinates", count, IMPORT_MAX_POSITIONS))
    if total > IMPORT_MAX_TOTAL_POSITIONS:
        errors.append(FieldError("/features", f"hold {total:,} positions in all; one import may hold at most "
                                              f"{IMPORT_MAX_TOTAL_POSITIONS:,}: split the file"))
    return errors


def _is_wgs84(crs: Any) -> bool:
    properties = crs.get("properties") if isinstance(crs, dict) else None
    return (isinstance(properties, dict) and crs.get("type") == "name"
            and properties.get("name") in WGS84_CRS_NAMES)


def _crs_name(crs: Any) -> str:
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") or properties.get("href") if isinstance(properties, dict) else None
    return repr(name[:80]) if isinstance(name, str) else "another coordinate system"


def _too_many(pointer: str, count: int, cap: int) -> FieldError:
    return FieldError(pointer, f"has {count:,} positions, more than {cap:,}: simplify it (to about 10 m)")


def checked_area(geometry: dict[str, Any], pointer: str, *, max_positions: int) -> tuple[dict[str, Any],
                                                                                          list[FieldError]]:
    """(the normalised GeoJSON geometry, every problem named by pointer under `pointer`)

    The geometry must already match the schema's shape (a Polygon or MultiPolygon of positions). It comes back with
    two-dimensional positions and its outer rings anticlockwise, holes clockwise; when there are problems, it is the
    input unchanged.
    """
    count = position_count(geometry["coordinates"])
    if count > max_positions:
        return geometry, [_too_many(pointer + "/coordinates", count, max_positions)]
    polygons = _polygons(geometry)
    errors: list[FieldError] = []
    normalised: list[list[list[list[float]]]] = []
    for base, polygon in polygons:
        rings: list[list[list[float]]] = []
        for index, ring in enumerate(polygon):
            problem = _ring_problem(ring)
            if problem:
                errors.append(FieldError(f"{pointer}{base}/{index}", problem))
            else:
                rings.append(_oriented(ring, anticlockwise=index == 0))
        normalised.append(rings)
    if errors:
        return geometry, errors
    # Each ring is fine on its own; what remains is how they sit together (holes inside their shell, no ring crossing
    # another, no polygon of a MultiPolygon overlapping another).
    shape = _shape(geometry["type"], normalised)
    reason = shapely.is_valid_reason(shape)
    if reason != "Valid Geometry":
        found, location = _reason_and_location(reason)
        errors.append(FieldError(pointer + _ring_near(polygons, location), _in_words(found, location, whole=True)))
        return geometry, errors
    coordinates: Any = normalised[0] if geometry["type"] == "Polygon" else normalised
    return {"type": geometry["type"], "coordinates": coordinates}, []


def _polygons(geometry: dict[str, Any]) -> list[tuple[str, list[list[Position]]]]:
    """(pointer of the polygon's ring list, its rings) for a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [("/coordinates", geometry["coordinates"])]
    return [(f"/coordinates/{index}", polygon) for index, polygon in enumerate(geometry["coordinates"])]


def _ring_problem(ring: list[Position]) -> str | None:
    if len(ring) < 4:
        return "a ring needs at least four positions"
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return "the ring is not closed: its last position must repeat its first"
    linear = shapely.LinearRing([(p[0], p[1]) for p in ring])
    if shapely.convex_hull(linear).area == 0:
        return "the ring encloses no area: its positions lie on one line"
    reason = shapely.is_valid_reason(linear)
    if reason == "Valid Geometry":
        return None
    found, location = _reason_and_location(reason)
    return _in_words(found, location, whole=False)


def _oriented(ring: list[Position], *, anticlockwise: bool) -> list[list[float]]:
    positions = [[p[0], p[1]] for p in ring]
    if shapely.is_ccw(shapely.LinearRing(positions)) != anticlockwise:
        positions.reverse()
    return positions


def _shape(kind: str, polygons: list[list[list[list[float]]]]) -> BaseGeometry:
    parts = [shapely.Polygon(rings[0], rings[1:]) for rings in polygons]
    return parts[0] if kind == "Polygon" else shapely.MultiPolygon(parts)


def _reason_and_location(reason: str) -> tuple[str, tuple[float, float] | None]:
    """GEOS writes "Self-intersection[-2.1 52.8]": the finding, and where (lng, lat) when it says."""
    found, _, rest = reason.partition("[")
    numbers = rest.rstrip("]").split()
    try:
        return found.strip(), (float(numbers[0]), float(numbers[1])) if len(numbers) >= 2 else None
    except ValueError:
        return found.strip(), None


_FINDINGS = {
    "Ring Self-intersection": "the ring crosses or touches itself",
    "Too few points in geometry component": "a ring needs at least four distinct positions",
    "Invalid Coordinate": "a position is not a finite number",
    "Hole lies outside shell": "this hole lies outside its outer ring",
    "Nested holes": "this hole lies inside another hole",
    "Interior is disconnected": "the holes cut the area into pieces",
    "Nested shells": "this polygon lies inside another polygon of the same area",
    "Duplicate Rings": "this ring repeats another",
}


def _in_words(found: str, location: tuple[float, float] | None, *, whole: bool) -> str:
    if found == "Self-intersection":
        words = "this ring crosses or touches another ring" if whole else "the ring crosses or touches itself"
    else:
        words = _FINDINGS.get(found, found.lower() or "the geometry is not valid")
    if location is None:
        return words
    lng, lat = location
    return f"{words} near latitude {lat:.5f}, longitude {lng:.5f}"


def _ring_near(polygons: list[tuple[str, list[list[Position]]]], location: tuple[float, float] | None) -> str:
    """The pointer of the ring a whole-polygon finding is about: the last ring through its location (a hole or a
    later polygon, since each ring was fine alone), or the coordinates as a whole when GEOS gave no location."""
    if location is None:
        return "/coordinates"
    point = shapely.Point(location)
    near = [f"{base}/{index}" for base, polygon in polygons for index, ring in enumerate(polygon)
            if shapely.distance(shapely.LinearRing([(p[0], p[1]) for p in ring]), point) <= _NEAR_DEGREES]
    return near[-1] if near else "/coordinates"


def outside_boundary(area: BaseGeometry, boundary: BaseGeometry) -> tuple[float, float] | None:
    """Where (lat, lng) the whole of `area` reaches outside `boundary` (both lng/lat shapes), or None when it lies
    within it, judged exactly in metres by `scope.lies_within`.

    The boundary is first cut down to the area's surroundings: a force boundary can have tens of thousands of
    positions and a file hundreds of wards, and the cut keeps each check to the part of the boundary that can matter.
    The margin (0.02 degrees, more than 1 km anywhere in the UK) is far wider than the tolerance, so the cut cannot
    change the answer.
    """
    margin = 0.02
    min_lng, min_lat, max_lng, max_lat = area.bounds
    window = shapely.box(min_lng - margin, min_lat - margin, max_lng + margin, max_lat + margin)
    nearby = shapely.intersection(boundary, window)
    if lies_within(area, nearby):
        return None
    beyond = shapely.difference(area, nearby)
    point = (beyond if not beyond.is_empty else area).representative_point()
    return point.y, point.x

