"""Geometry in metres: GeoJSON lng/lat projected onto a plane centred on the thing being judged. Pure: no AWS here.

Containment, validity and area are decided with shapely on these planar coordinates, never on degrees: a degree of
longitude is about 67 km in Staffordshire and 111 km at the equator, so a "buffer of 0.001" means different things in
different directions.

The plane is the azimuthal equidistant projection on the sphere (the same sphere as `coverage.distance_m`), centred on
the target. Distances from the centre are exact, so a circle target is exactly a circle in the plane; away from the
centre the distortion grows as (d / R)^2 / 6, under 1 m at 60 km and under 4 m at 100 km, which is far beyond the
largest target (a 20 km circle). See `docs/security.md` for the tolerance this allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8  # the mean radius, as domain/coverage.py uses for distances


class LocalPlane:
    """Projects lng/lat (degrees) to metres east and north of `centre` (lat, lng)."""

    def __init__(self, lat: float, lng: float) -> None:
        self.lat = lat
        self.lng = lng
        self._phi0 = math.radians(lat)
        self._lambda0 = math.radians(lng)
        self._sin0, self._cos0 = math.sin(self._phi0), math.cos(self._phi0)

    def _forward(self, coordinates: np.ndarray) -> np.ndarray:
        """(n, 2) array of [lng, lat] degrees -> (n, 2) array of [x, y] metres."""
        lam = np.radians(coordinates[:, 0]) - self._lambda0
        phi = np.radians(coordinates[:, 1])
        sin_phi, cos_phi, cos_lam = np.sin(phi), np.cos(phi), np.cos(lam)
        cos_c = np.clip(self._sin0 * sin_phi + self._cos0 * cos_phi * cos_lam, -1.0, 1.0)
        c = np.arccos(cos_c)
        sin_c = np.sin(c)
        # k = c / sin(c), which tends to 1 at the centre (where both vanish).
        k = np.where(sin_c > 1e-15, c / np.where(sin_c > 1e-15, sin_c, 1.0), 1.0)
        x = EARTH_RADIUS_M * k * cos_phi * np.sin(lam)
        y = EARTH_RADIUS_M * k * (self._cos0 * sin_phi - self._sin0 * cos_phi * cos_lam)
        return np.column_stack((x, y))

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        """A shapely geometry in lng/lat, in metres on this plane."""
        return shapely.transform(geometry, self._forward)

    def point(self, lat: float, lng: float) -> tuple[float, float]:
        x, y = self._forward(np.array([[lng, lat]], dtype=float))[0]
        return float(x), float(y)


def shape_of(geometry: dict[str, Any]) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon as a shapely geometry in lng/lat (a third coordinate, if any, is dropped)."""
    def rings(polygon: Sequence[Sequence[Sequence[float]]]) -> tuple[list[tuple[float, float]], list[Any]]:
        outer = [(float(p[0]), float(p[1])) for p in polygon[0]]
        return outer, [[(float(p[0]), float(p[1])) for p in hole] for hole in polygon[1:]]

    if geometry["type"] == "Polygon":
        return shapely.Polygon(*rings(geometry["coordinates"]))
    if geometry["type"] == "MultiPolygon":
        return shapely.MultiPolygon([rings(polygon) for polygon in geometry["coordinates"]])
    raise ValueError(f"not an area: {geometry['type']}")
