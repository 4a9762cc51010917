"""Named areas (local policing areas, wards, neighbourhoods): checking their geometry before anyone targets them.

GeoJSON (RFC 7946) rings are closed, have at least four positions, and follow the right-hand rule: the outer ring
anticlockwise, holes clockwise. A ring must not cross itself. Every area must lie inside its organisation's
boundary, so that nobody can target residents beyond their own force. Pure: no AWS here.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from .coverage import Area
from .errors import FieldError

Position = Sequence[float]
MAX_POSITIONS = 5_000  # per area: the self-intersection check is quadratic


def signed_area(ring: Sequence[Position]) -> float:
    """Positive for an anticlockwise ring (lng as x, lat as y)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in pairwise(ring)) / 2


def _orientation(a: Position, b: Position, c: Position) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(p1: Position, p2: Position, q1: Position, q2: Position) -> bool:
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4):
        return True
    # Touching or overlapping collinear segments count as crossing: a ring that touches itself is not simple.
    def on_segment(a: Position, b: Position, c: Position) -> bool:
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])
    return any(d == 0 and on_segment(*pair) for d, pair in
               ((d1, (q1, q2, p1)), (d2, (q1, q2, p2)), (d3, (p1, p2, q1)), (d4, (p1, p2, q2))))


def crosses_itself(ring: Sequence[Position]) -> bool:
    edges = list(pairwise(ring))
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                continue  # neighbours share a vertex by design
            if _segments_cross(*edges[i], *edges[j]):
                return True
    return False


def _rings(geometry: dict[str, Any]) -> list[tuple[str, list[Position], bool]]:
    """(pointer, ring, is_outer) for every ring of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        polygons: list[tuple[str, list[list[Position]]]] = [("/coordinates", geometry["coordinates"])]
    else:
        polygons = [(f"/coordinates/{i}", polygon) for i, polygon in enumerate(geometry["coordinates"])]
    return [(f"{base}/{r}", ring, r == 0) for base, polygon in polygons for r, ring in enumerate(polygon)]


def check_geometry(geometry: dict[str, Any], pointer: str, boundary: Area | None) -> list[FieldError]:
    """Every problem with one area's geometry, each named by a JSON pointer under `pointer`."""
    errors: list[FieldError] = []
    rings = _rings(geometry)
    if sum(len(ring) for _, ring, _ in rings) > MAX_POSITIONS:
        return [FieldError(pointer + "/coordinates", f"has more than {MAX_POSITIONS} positions: simplify it")]
    for ring_pointer, ring, outer in rings:
        where = pointer + ring_pointer
        if len(ring) < 4:
            errors.append(FieldError(where, "a ring needs at least four positions"))
            continue
        if list(ring[0][:2]) != list(ring[-1][:2]):
            errors.append(FieldError(where, "the ring is not closed: its last position must repeat its first"))
            continue
        area = signed_area(ring)
        if area == 0:
            errors.append(FieldError(where, "the ring encloses no area"))
        elif outer and area < 0:
            errors.append(FieldError(where, "the outer ring runs clockwise; GeoJSON wants it anticlockwise"))
        elif not outer and area > 0:
            errors.append(FieldError(where, "a hole runs anticlockwise; GeoJSON wants holes clockwise"))
        if crosses_itself(ring):
            errors.append(FieldError(where, "the ring crosses or touches itself"))
        if boundary is not None and outer:
            outside = next((i for i, (lng, lat, *_) in enumerate(ring) if not boundary.contains(lat, lng)), None)
            if outside is not None:
                errors.append(FieldError(f"{where}/{outside}", "lies outside your organisation's boundary"))
    return errors
