"""Whether one area lies inside another, decided exactly in metres. Pure: no AWS here.

Used wherever a shape must stay inside what someone may reach: an alert's target inside the union of the officer's
permitted areas, an imported area inside its organisation's boundary. Both shapes are projected onto a plane centred
on the inner shape (domain/projection.py), and the outer one, grown by `TOLERANCE_M`, must cover the inner one.

The tolerance absorbs floating point and the projection's distortion (under 4 m at 100 km from the centre), and
lets an area drawn along a shared boundary, with its vertices rounded to 6 decimal places (about 0.1 m), still count
as inside. It is far smaller than a house, so it cannot be used to reach a street outside.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from .projection import LocalPlane, shape_of

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
