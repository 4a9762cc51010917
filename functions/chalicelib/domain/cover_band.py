"""The finer cells a cover adds along the target's edge, because H3's hierarchy does not nest exactly. Pure.

A location is keyed by its resolution-15 cell (domain/geo.py), and a cover cell at resolution r reads that cell's
resolution-15 descendants. Those descendants do not tile the cell's hexagon: measured on 400,000 random points over
Great Britain, about 6.5 % of points have a resolution-r ancestor (by key) that is not the hexagon they lie in, and
they lie outside that ancestor's hexagon by up to 0.14 of its edge, at every resolution from 5 to 14. So a resident
just inside the target can be keyed under a cell just outside it, which "overlap" containment does not take: the
cover before this band missed 2 of the 60,923 residents of the bench's 20 km circle.

The band closes that gap without widening the whole cover. A point p inside the target whose ancestor A at r is not
in the cover lies within 0.14 e(r) of A's hexagon, which is outside the target: so p lies in the strip within
HIERARCHY_SLACK e(r) inside the edge, and A is a neighbour of the cover. p's ancestors below A, down to the band's
resolution, each lie within 0.14 of their own edge of p. So the band follows the cover's outside neighbours down to
BAND_STEPS resolutions finer, keeping the cells whose centre is near enough the strip for a descendant's key to be in
it, and the cover adds those small cells rather than whole neighbours. Distances are measured on a plane in metres,
equirectangular around the target's centre: across a county its scale errs by about 1 %, inside the slack's margin.
"""

from __future__ import annotations

import math

import h3
import numpy as np
import shapely

from .geo import POINT_RESOLUTION

# Measured up to 0.14 (see above); the margin covers sampling and the plane's scale error.
HIERARCHY_SLACK = 0.25
# Two resolutions finer: the band's cells are 1/49 of the cover's, so the strip costs little over-read.
BAND_STEPS = 2
METRES_PER_DEGREE = math.pi / 180 * 6_371_008.8


def band_resolution(resolution: int) -> int:
    return min(POINT_RESOLUTION, resolution + BAND_STEPS)


class _Plane:
    """Metres east and north of a centre, equirectangular: linear both ways, and good to about 1 % across a county."""

    def __init__(self, lng: float, lat: float) -> None:
        self.origin = np.array([lng, lat])
        self.scale = np.array([METRES_PER_DEGREE * math.cos(math.radians(lat)), METRES_PER_DEGREE])

    def to_metres(self, lng_lat: np.ndarray) -> np.ndarray:
        return (lng_lat - self.origin) * self.scale


def band_cells(outline: shapely.Polygon | shapely.MultiPolygon, resolution: int, cover_cells: set[str]) -> list[str]:
    """Compacted cells at the band's resolution, along the edge, under resolution-r cells the cover lacks: the
    descendants of the cover's outside neighbours whose keys may lie in the strip inside the edge."""
    if resolution >= POINT_RESOLUTION:
        return []  # a resolution-15 cell is its own key: overlap takes every one a point inside lies in
    centre = outline.centroid
    plane = _Plane(centre.x, centre.y)
    flat = shapely.transform(outline, plane.to_metres)
    edge = flat.boundary
    strip_width = HIERARCHY_SLACK * h3.average_hexagon_edge_length(resolution, "m")

    def near_the_strip(cells: list[str], level: int, reach_in_edges: float = 1.5) -> list[str]:
        if not cells:
            return []
        lat_lng = np.array([h3.cell_to_latlng(cell) for cell in cells])
        points = shapely.points(plane.to_metres(lat_lng[:, ::-1]))
        distance = shapely.distance(edge, points)
        beyond_strip = np.where(shapely.contains(flat, points), np.maximum(distance - strip_width, 0), distance)
        # A cell's corners lie about one edge from its centre (up to ~1.2 at H3's largest cells of a resolution),
        # and its descendants' keys stray 0.14 edge further: 1.5 edges keeps every cell that might reach the strip.
        reach = reach_in_edges * h3.average_hexagon_edge_length(level, "m")
        return [cell for cell, beyond in zip(cells, beyond_strip, strict=True) if beyond <= reach]

    # Only cover cells near the strip can have outside neighbours near it: neighbours' centres are about 1.7 edges
    # apart (up to ~2.1 for a resolution's largest cells), so 1.5 + 2.5 edges.
    edge_cells = near_the_strip(list(cover_cells), resolution, reach_in_edges=4.0)
    candidates = near_the_strip(sorted({n for cell in edge_cells for n in h3.grid_ring(cell, 1)} - cover_cells),
                                resolution)
    for level in range(resolution + 1, band_resolution(resolution) + 1):
        candidates = near_the_strip([child for cell in candidates for child in h3.cell_to_children(cell, level)],
                                    level)
    return list(h3.compact_cells(candidates))
