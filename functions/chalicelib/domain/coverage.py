"""Which H3 cells, and so which DynamoDB key ranges, hold everyone inside a target area. Pure: no AWS here.

A cover must miss nobody: cells are taken with "overlap" containment (a cell counts if any part of it touches the
area), so the cover is a superset and the exact test (great-circle distance, point in polygon) runs on the stored
point afterwards. The resolution is chosen from the area's size so that the boundary cells are small enough to keep
the over-read low and few enough to keep the query count low (see MAX_RADIUS_IN_EDGES). Compacted cells become key
ranges (domain/geo.py), and ranges that touch merge, because every range is one DynamoDB Query.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import h3

from .geo import POINT_RESOLUTION, RANGE_END, KeyRange, ranges_for_cell

EARTH_RADIUS_M = 6_371_008.8
FINEST_COVER_RESOLUTION = 14
COARSEST_COVER_RESOLUTION = 5
# The boundary cell's edge is at most 1/48 of the area's radius: measured, this keeps the cover within about 10 % of
# the area (read amplification <= 1.10) with 100-250 compacted cells for circles from 50 m to 20 km.
MAX_RADIUS_IN_EDGES = 48
# A circle becomes a polygon with this many sides, pushed out so that the polygon contains the whole circle.
CIRCLE_SIDES = 64

Ring = Sequence[Sequence[float]]  # GeoJSON positions: [lng, lat]


@dataclass(frozen=True)
class Circle:
    lat: float
    lng: float
    radius_m: float

    def contains(self, lat: float, lng: float) -> bool:
        return distance_m(self.lat, self.lng, lat, lng) <= self.radius_m


@dataclass(frozen=True)
class Area:
    """A GeoJSON Polygon or MultiPolygon (rings of [lng, lat], the first ring outer, the rest holes)."""

    polygons: tuple[tuple[Ring, ...], ...]

    @classmethod
    def from_geojson(cls, geometry: dict[str, Any]) -> Area:
        if geometry["type"] == "Polygon":
            return cls((tuple(geometry["coordinates"]),))
        if geometry["type"] == "MultiPolygon":
            return cls(tuple(tuple(polygon) for polygon in geometry["coordinates"]))
        raise ValueError(f"not an area: {geometry['type']}")

    def contains(self, lat: float, lng: float) -> bool:
        return any(_in_ring(lat, lng, rings[0]) and not any(_in_ring(lat, lng, hole) for hole in rings[1:])
                   for rings in self.polygons)

    def area_m2(self) -> float:
        return sum(abs(_ring_area_m2(rings[0])) - sum(abs(_ring_area_m2(hole)) for hole in rings[1:])
                   for rings in self.polygons)


Target = Circle | Area


@dataclass(frozen=True)
class Cover:
    resolution: int
    cells: list[str]  # compacted
    ranges: list[KeyRange]  # merged: one DynamoDB Query each


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _in_ring(lat: float, lng: float, ring: Ring) -> bool:
    """Ray casting; areas are small enough that treating lng/lat as planar changes nothing at street scale."""
    inside = False
    previous = ring[-1]
    for current in ring:
        (x1, y1), (x2, y2) = previous[:2], current[:2]
        if (y1 > lat) != (y2 > lat) and lng < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
        previous = current
    return inside


def _ring_area_m2(ring: Ring) -> float:
    """Shoelace on an equirectangular projection around the ring's mean latitude: good to a fraction of a percent
    for the sizes of policing areas, which is all the resolution choice needs."""
    mean_lat = math.radians(sum(p[1] for p in ring) / len(ring))
    scale_x = math.pi / 180 * EARTH_RADIUS_M * math.cos(mean_lat)
    scale_y = math.pi / 180 * EARTH_RADIUS_M
    total = 0.0
    for (x1, y1), (x2, y2) in pairwise(ring):
        total += (x1 * scale_x) * (y2 * scale_y) - (x2 * scale_x) * (y1 * scale_y)
    return total / 2


def cover_resolution(radius_m: float) -> int:
    """The finest resolution whose cells' edge is at most radius / MAX_RADIUS_IN_EDGES."""
    for resolution in range(FINEST_COVER_RESOLUTION, COARSEST_COVER_RESOLUTION - 1, -1):
        if radius_m / h3.average_hexagon_edge_length(resolution, "m") <= MAX_RADIUS_IN_EDGES:
            return resolution
    return COARSEST_COVER_RESOLUTION


def circle_polygon(circle: Circle, sides: int = CIRCLE_SIDES) -> h3.LatLngPoly:
    """A polygon that contains the circle: its vertices sit at radius / cos(pi / sides), so its edges clear it."""
    outer_radius = circle.radius_m / math.cos(math.pi / sides)
    angular = outer_radius / EARTH_RADIUS_M
    lat1, lng1 = math.radians(circle.lat), math.radians(circle.lng)
    points = []
    for step in range(sides):
        bearing = 2 * math.pi * step / sides
        lat2 = math.asin(math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(bearing))
        lng2 = lng1 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat1),
                                 math.cos(angular) - math.sin(lat1) * math.sin(lat2))
        points.append((math.degrees(lat2), math.degrees(lng2)))
    return h3.LatLngPoly(points)


def _shape(target: Target) -> h3.H3Shape:
    if isinstance(target, Circle):
        return circle_polygon(target)
    polygons = [h3.LatLngPoly([(p[1], p[0]) for p in rings[0]], *[[(p[1], p[0]) for p in hole] for hole in rings[1:]])
                for rings in target.polygons]
    return polygons[0] if len(polygons) == 1 else h3.LatLngMultiPoly(*polygons)


def equivalent_radius_m(target: Target) -> float:
    return target.radius_m if isinstance(target, Circle) else math.sqrt(target.area_m2() / math.pi)


def cover(target: Target, resolution: int | None = None) -> Cover:
    """The compacted cells that overlap the target, and the merged key ranges that read them."""
    chosen = resolution if resolution is not None else cover_resolution(equivalent_radius_m(target))
    cells = h3.compact_cells(h3.h3shape_to_cells_experimental(_shape(target), chosen, contain="overlap"))
    return Cover(chosen, sorted(cells), merge_ranges(r for cell in cells for r in ranges_for_cell(cell)))


def _next_point_cell(cell: str) -> str | None:
    """The resolution-15 cell that follows `cell` in index order (its next sibling, carrying into the parents'
    digits), or None past the end of a base cell. Used only to see whether two ranges touch."""
    value = h3.str_to_int(cell)
    for digit in range(POINT_RESOLUTION, 0, -1):
        shift = 3 * (POINT_RESOLUTION - digit)
        current = (value >> shift) & 0b111
        if current < 6:
            following = (value & ~(0b111 << shift)) | ((current + 1) << shift)
            return h3.int_to_str(following)
        value &= ~(0b111 << shift)  # this digit wraps to 0 and the carry moves up
    return None


def merge_ranges(ranges: Iterable[KeyRange]) -> list[KeyRange]:
    """Joins ranges of one partition that touch: no valid resolution-15 cell lies between them."""
    merged: list[KeyRange] = []
    for key_range in sorted(set(ranges), key=lambda r: (r.partition, r.low)):
        if merged and merged[-1].partition == key_range.partition:
            last = merged[-1]
            if _next_point_cell(last.high.removesuffix(RANGE_END)) == key_range.low or key_range.low <= last.high:
                merged[-1] = KeyRange(last.partition, last.low, max(last.high, key_range.high))
                continue
        merged.append(key_range)
    return merged
