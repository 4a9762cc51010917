"""Whether one area lies inside another, decided exactly in metres. Pure: no AWS here.

Used wherever a shape must stay inside what someone may reach: an alert's target inside the union of the officer's
permitted areas, an imported area inside its organisation's boundary. Both shapes are projected onto a plane centred
on the inner shape (domain/projection.py), and the outer one, grown by `TOLERANCE_M`, must cover the inner one.

The tolerance absorbs floating point and the projection's distortion (under 4 m at 100 km from the centre), and
lets an area drawn along a shared boundary, with its vertices rounded to 6 decimal places (about 0.1 m), still count
as inside. It is far smaller than a house, so it cannot be used to reach a street outside.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from .coverage import Area, Circle, Target
from .projection import EARTH_RADIUS_M, LocalPlane, shape_of

TOLERANCE_M = 5.0


def union_of(geometries: Iterable[dict[str, Any]]) -> BaseGeometry:
    """The union of GeoJSON Polygons and MultiPolygons, in lng/lat (empty when there are none)."""
    shapes = [shapely.make_valid(shape_of(geometry)) for geometry in geometries]
    return shapely.union_all(shapes) if shapes else shapely.Polygon()


def lies_within(inner: BaseGeometry, outer: BaseGeometry, tolerance_m: float = TOLERANCE_M) -> bool:
    """True when every point of `inner` (lng/lat) is inside `outer` (lng/lat) or within `tolerance_m` of it."""
    if inner.is_empty:
        return True
    if outer.is_empty:
        return False
    centre = inner.centroid
    plane = LocalPlane(centre.y, centre.x)
    grown = plane.project(outer).buffer(tolerance_m)
    return bool(grown.covers(plane.project(inner)))


# --- targets: a circle or an area inside what an officer may reach ------------------------------------------------

CIRCLE_SIDES = 64  # as domain/coverage.py: the polygon that contains the circle is what is tested
CLIP_MARGIN_DEGREES = 0.01  # about 1 km: far more than the tolerance, so clipping never changes the answer


def _target_bounds(target: Target) -> tuple[float, float, float, float]:
    """(min lng, min lat, max lng, max lat) of the target, for clipping large permitted shapes before projecting."""
    if isinstance(target, Circle):
        d_lat = math.degrees(target.radius_m / EARTH_RADIUS_M) * 1.1
        d_lng = d_lat / max(math.cos(math.radians(target.lat)), 1e-6)
        return target.lng - d_lng, target.lat - d_lat, target.lng + d_lng, target.lat + d_lat
    return _area_shape(target).bounds  # type: ignore[no-any-return]


def _area_shape(area: Area) -> BaseGeometry:
    polygons = [shapely.Polygon([tuple(p[:2]) for p in rings[0]], [[tuple(p[:2]) for p in hole] for hole in rings[1:]])
                for rings in area.polygons]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def near(permitted: BaseGeometry, target: Target) -> BaseGeometry:
    """The part of `permitted` around the target: all that containment needs, and far smaller than a force."""
    min_x, min_y, max_x, max_y = _target_bounds(target)
    margin = CLIP_MARGIN_DEGREES
    return shapely.clip_by_rect(permitted, min_x - margin * 2, min_y - margin, max_x + margin * 2, max_y + margin)


def target_within(target: Target, permitted: BaseGeometry, tolerance_m: float = TOLERANCE_M) -> bool:
    """The whole target, a circle included, inside `permitted` (lng/lat) within the tolerance, decided in metres.

    A circle is tested as the polygon that contains it, with its vertices at radius / cos(pi / n), so no part of the
    circle can fall between two tested vertices.
    """
    local = near(permitted, target)
    if not isinstance(target, Circle):
        return lies_within(_area_shape(target), local, tolerance_m)
    if local.is_empty:
        return False
    plane = LocalPlane(target.lat, target.lng)
    outer = target.radius_m / math.cos(math.pi / CIRCLE_SIDES)
    polygon = shapely.Polygon([(outer * math.cos(2 * math.pi * k / CIRCLE_SIDES),
                                outer * math.sin(2 * math.pi * k / CIRCLE_SIDES)) for k in range(CIRCLE_SIDES)])
    return bool(plane.project(local).buffer(tolerance_m).covers(polygon))


def overlaps(target: Target, area: BaseGeometry) -> bool:
    """Whether any part of the target lies in `area` (lng/lat): what an officer filtering alerts by area means."""
    if area.is_empty:
        return False
    if not isinstance(target, Circle):
        return bool(_area_shape(target).intersects(area))
    local = near(area, target)
    if local.is_empty:
        return False
    plane = LocalPlane(target.lat, target.lng)
    return bool(plane.project(local).distance(shapely.Point(0, 0)) <= target.radius_m)


# --- the scope frozen into an alert: the worker's second line of defence ------------------------------------------


# The frozen scope travels inside the alert's document, which must fit one DynamoDB item (400 KB) with the target,
# the text and the history. A 20 km circle across a force boundary of 50,000 vertices can take in a megabyte of it.
MAX_FROZEN_CHARACTERS = 200_000  # about 12,000 vertices; the rest of the document stays far under 200 KB
# Simplification steps, in degrees (1e-5 is about 1.1 m of latitude and 0.7 m of longitude in England).
SIMPLIFY_STEPS_DEGREES = (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3)


def _text(shape: BaseGeometry) -> str:
    return base64.b64encode(shapely.to_wkb(shape)).decode("ascii")


def freeze(permitted: BaseGeometry, target: Target, earlier: str | None = None) -> str:
    """What the sender (or approver) may reach around this target, as text to store with the alert (WKB, base64).

    With `earlier` (the sender's, when an approver approves), the result is what both may reach. When the shape is too
    detailed to store, it is simplified by the smallest step that fits and then grown by that step, so the stored
    scope always contains the true one: it can only let in a point at most two steps (a few metres, in practice)
    beyond the reach, which the API's exact check has already confined the target to. It never drops anyone inside.
    """
    local = near(permitted, target)
    if earlier is not None:
        local = shapely.intersection(local, thaw(earlier))
    text = _text(local)
    for step in SIMPLIFY_STEPS_DEGREES:
        if len(text) <= MAX_FROZEN_CHARACTERS:
            break
        text = _text(shapely.simplify(local, step, preserve_topology=True).buffer(step, quad_segs=1,
                                                                                     join_style="mitre"))
    return text


def thaw(frozen: str) -> BaseGeometry:
    return shapely.from_wkb(base64.b64decode(frozen))


class FrozenScope:
    """Answers "may this resident's point be sent to?" for one alert, many times over, quickly."""

    def __init__(self, frozen: str | None) -> None:
        self._shape = thaw(frozen) if frozen else shapely.Polygon()
        shapely.prepare(self._shape)

    def contains(self, lat: float, lng: float) -> bool:
        return bool(shapely.intersects_xy(self._shape, lng, lat))  # for a point, touching is covering
