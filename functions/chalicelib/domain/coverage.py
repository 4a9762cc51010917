"""Which H3 cells, and so which DynamoDB key ranges, hold everyone inside a target area. Pure: no AWS here.

A cover must miss nobody: cells are taken with "overlap" containment (a cell counts if any part of it touches the
area), plus finer cells along the edge because a location's key can descend from a cell just outside it (H3 does not
nest exactly: domain/cover_band.py), so the cover is a superset and the exact test (great-circle distance, point in
polygon) runs on the stored point afterwards. The resolution is chosen from the area's size so that the boundary
cells are small enough to keep the over-read low and few enough to keep the h3 work low (see MAX_RADIUS_IN_EDGES).
The compacted cells are what must be read; the key ranges that read them (domain/geo.py), one DynamoDB Query each,
are chosen for the fewest estimated read units (domain/read_units.py): a Query costs at least one read unit however
little it reads, so ranges join across a gap whenever the gap's bytes, at an assumed dense population, cost less than
the Query they save.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import h3
import shapely

from .cover_band import band_cells
from .errors import FieldError, invalid
from .geo import PARTITION_RESOLUTION, POINT_RESOLUTION, RANGE_END, KeyRange
from .projection import LocalPlane, shape_of
from .read_units import QUERY_BUDGET, cheapest_ranges

EARTH_RADIUS_M = 6_371_008.8
FINEST_COVER_RESOLUTION = 14
COARSEST_COVER_RESOLUTION = 5
# The boundary cell's edge is at most 1/48 of the area's radius: measured, this keeps the cover within about 10 % of
# the area (read amplification <= 1.10) with 100-250 compacted cells for circles from 50 m to 20 km.
MAX_RADIUS_IN_EDGES = 48
# A circle becomes a polygon with this many sides, pushed out so that the polygon contains the whole circle.
CIRCLE_SIDES = 64

# The cost of a cover, bounded before h3 sees the shape (see check_cover_cost). With overlap containment, a cover at
# a resolution of edge e has at most about perimeter / e compacted cells (measured: 0.4-1.05 times that for circles,
# squares, corridors and combs), so the estimate is perimeter / e * COVER_CELLS_PER_EDGE plus a few cells per ring.
COVER_CELLS_PER_EDGE = 1.1
# The resolution is coarsened, from the one the area alone would pick, while the estimate is over this budget: a
# circle needs 100-250 cells, so a long or wiggly outline gets about four circles' worth before it costs over-read.
COVER_CELL_BUDGET = 1_000
# Each step coarser multiplies the boundary cells' size by about 2.6, and with it the over-read: two steps keep a
# circle's read amplification under 1.4 and a 10 km x 200 m corridor's near 3. No further, so an outline that is
# mostly boundary (a comb) is refused rather than read as the whole rectangle around it.
MAX_COARSER_STEPS = 2
# Up to this equivalent radius (a town), the cover reads a little more to keep to QUERY_BUDGET Queries
# (read_units.cheapest_plan); a larger target reads many 1 MB pages anyway, so a Query more is little latency, and the
# gaps it would read across are whole neighbourhoods.
FEWER_QUERIES_UP_TO_RADIUS_M = 5_000
# Hard caps, in compacted cells (h3 work and memory) and key ranges (one DynamoDB Query each).
MAX_COVER_CELLS = 4_000
MAX_COVER_RANGES = 4_000
# The smallest target: a circle of 50 m, the smallest the alert schema allows (7,854 m2). At UK suburban densities
# (25-35 homes a hectare) that holds about 20 homes, so a drawn shape cannot be drawn around one house; previews show
# counts under 5 as "fewer than 5" as well (domain/small_counts.py).
MIN_TARGET_AREA_M2 = 7_850

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
    ranges: list[KeyRange]  # one DynamoDB Query each, reading every cell and the cheap gaps between them


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


@dataclass(frozen=True)
class CoverCost:
    """What a cover will cost, estimated from the target's size in metres before any H3 call."""

    area_m2: float
    perimeter_m: float
    resolution: int
    cells: int  # compacted cells, estimated (an upper bound in practice)
    ranges: int  # key ranges, estimated


def size_in_metres(target: Target) -> tuple[float, float]:
    """(area in m2, perimeter in m, holes included) on a plane centred on the target (domain/projection.py)."""
    if isinstance(target, Circle):
        return math.pi * target.radius_m ** 2, 2 * math.pi * target.radius_m
    shape = shape_of({"type": "MultiPolygon", "coordinates": [list(polygon) for polygon in target.polygons]})
    centre = shape.centroid
    flat = LocalPlane(centre.y, centre.x).project(shape)
    return float(flat.area), float(flat.length)


def _estimated_cells(perimeter_m: float, rings: int, resolution: int) -> int:
    edge = h3.average_hexagon_edge_length(resolution, "m")
    return math.ceil(perimeter_m / edge * COVER_CELLS_PER_EDGE) + 7 * rings


def _estimated_ranges(area_m2: float, perimeter_m: float, cells: int, resolution: int) -> int:
    """At most one range per compacted cell, and one per partition the area spans (coarse cells split per
    partition); merging touching ranges only lowers it."""
    partition_edge = h3.average_hexagon_edge_length(PARTITION_RESOLUTION, "m")
    partitions = area_m2 / h3.average_hexagon_area(PARTITION_RESOLUTION, "m^2") + perimeter_m / partition_edge
    split = 7 ** max(0, PARTITION_RESOLUTION - resolution)
    return cells * split + math.ceil(partitions)


def cover_cost(target: Target) -> CoverCost:
    """The resolution a cover uses and what it costs. The resolution is the one the area's equivalent radius picks
    (cover_resolution), made coarser while the perimeter would need more than COVER_CELL_BUDGET cells, by at most
    MAX_COARSER_STEPS."""
    area_m2, perimeter_m = size_in_metres(target)
    rings = 1 if isinstance(target, Circle) else sum(len(polygon) for polygon in target.polygons)
    finest = cover_resolution(math.sqrt(area_m2 / math.pi))
    resolution = finest
    while (_estimated_cells(perimeter_m, rings, resolution) > COVER_CELL_BUDGET
           and resolution > max(COARSEST_COVER_RESOLUTION, finest - MAX_COARSER_STEPS)):
        resolution -= 1
    cells = _estimated_cells(perimeter_m, rings, resolution)
    return CoverCost(area_m2, perimeter_m, resolution, cells,
                     _estimated_ranges(area_m2, perimeter_m, cells, resolution))


def check_cover_cost(target: Target) -> None:
    """Refuses, with a 400 naming /target, a target too small to keep a household anonymous or whose cover would
    cost more than the caps. Cheap: shapely on the projected outline, no H3."""
    cost = cover_cost(target)
    if cost.area_m2 < MIN_TARGET_AREA_M2:
        raise invalid("The target is too small.",
                      FieldError("/target", f"covers {cost.area_m2:,.0f} m2; a target must cover at least "
                                            f"{MIN_TARGET_AREA_M2:,} m2 (a circle of 50 m), so that it cannot "
                                            "single out a household"))
    if cost.cells > MAX_COVER_CELLS or cost.ranges > MAX_COVER_RANGES:
        raise invalid("The target's outline is too intricate to search.",
                      FieldError("/target", f"its outline is {cost.perimeter_m / 1000:,.1f} km long around "
                                            f"{cost.area_m2 / 1e6:,.2f} km2: searching it would take about "
                                            f"{max(cost.cells, cost.ranges):,} cells or queries (at most "
                                            f"{min(MAX_COVER_CELLS, MAX_COVER_RANGES):,}); draw a simpler outline"))


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
    """The compacted cells that overlap the target, with the finer ones along its edge that H3's inexact nesting
    needs (cover_band.band_cells), and the key ranges that read them for the fewest estimated read units
    (read_units.cheapest_ranges). The resolution is cover_cost's; requests pass their targets through
    check_cover_cost first."""
    chosen = resolution if resolution is not None else cover_cost(target).resolution
    shape = _shape(target)
    # A set: with overlap containment, a cell that touches two polygons of a MultiPolygon comes back twice, and
    # compact_cells refuses duplicates.
    overlapping = set(h3.h3shape_to_cells_experimental(shape, chosen, contain="overlap"))
    # Plus finer cells along the edge for residents keyed under a cell just outside it (domain/cover_band.py).
    outline = shapely.geometry.shape(h3.h3shape_to_geo(shape))
    cells = [*h3.compact_cells(overlapping), *band_cells(outline, chosen, overlapping)]
    budget = QUERY_BUDGET if equivalent_radius_m(target) <= FEWER_QUERIES_UP_TO_RADIUS_M else None
    return Cover(chosen, sorted(cells), cheapest_ranges(cells, budget))


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
    """Joins ranges of one partition that touch: no valid resolution-15 cell lies between them. The cover's ranges
    before read units were counted; bench/targeting.py's legacy baseline still uses it."""
    merged: list[KeyRange] = []
    for key_range in sorted(set(ranges), key=lambda r: (r.partition, r.low)):
        if merged and merged[-1].partition == key_range.partition:
            last = merged[-1]
            if _next_point_cell(last.high.removesuffix(RANGE_END)) == key_range.low or key_range.low <= last.high:
                merged[-1] = KeyRange(last.partition, last.low, max(last.high, key_range.high))
                continue
        merged.append(key_range)
    return merged
