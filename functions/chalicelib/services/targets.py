"""Turns an alert's `target` into the geometry to cover, and refuses targets the officer may not reach.

Circles and drawn polygons must lie inside the officer's permitted areas (or, for an officer of the whole force,
have their centre inside the force's boundary); named areas must be the force's own and on the officer's list; the
whole organisation needs an officer who is not limited to areas. The containment test checks the target's vertices
(a circle's are those of the 64-sided polygon that contains it) and centre against the permitted areas, which is
exact for convex areas and, for concave ones, can only let through a sliver between two vertices.
"""

from __future__ import annotations

import json
from typing import Any

from ..adapters.models import AreaModel
from ..domain.alerts import target_geometry
from ..domain.areas import check_geometry
from ..domain.coverage import Area, Circle, Target, circle_polygon
from ..domain.errors import FieldError, forbidden, invalid
from ..domain.officers import Officer, may_target_area
from .areas import BOUNDARY_ID


def _vertices(target: Target) -> list[tuple[float, float]]:
    if isinstance(target, Circle):
        return [(target.lat, target.lng), *((lat, lng) for lat, lng in circle_polygon(target).outer)]
    return [(p[1], p[0]) for rings in target.polygons for p in rings[0]]


def _centre(target: Target) -> tuple[float, float]:
    if isinstance(target, Circle):
        return target.lat, target.lng
    points = [(p[1], p[0]) for rings in target.polygons for p in rings[0][:-1]]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def footage_centre(target: Target) -> tuple[float, float]:
    """Where a footage request looks from: the circle's centre, or the middle of a drawn area's vertices."""
    return _centre(target)


class TargetResolver:
    def _areas(self, organisation: str, area_ids: list[str] | tuple[str, ...]) -> dict[str, Area]:
        found: dict[str, Area] = {}
        for item in AreaModel.batch_get([(organisation, area_id) for area_id in area_ids]):
            found[item.area_id] = Area.from_geojson(json.loads(item.geometry))
        return found

    def resolve(self, officer: Officer, target: dict[str, Any]) -> Target:
        """The geometry of `target` for this officer, or a 4xx naming the part of the target that is refused."""
        kind = target["type"]
        boundary = self._areas(officer.organisation, [BOUNDARY_ID]).get(BOUNDARY_ID)
        if kind == "organisation":
            if not officer.whole_organisation:
                raise forbidden("You may alert only your own areas, not the whole organisation.",
                                FieldError("/target/type", "needs an officer of the whole organisation"))
            if boundary is None:
                raise invalid("Your organisation has no boundary yet: an admin imports it first.",
                              FieldError("/target/type", "the organisation has no boundary"))
            return boundary
        if kind == "areas":
            ids = list(target["area_ids"])
            areas = self._areas(officer.organisation, ids)
            errors = [FieldError(f"/target/area_ids/{i}", "is not one of your organisation's areas")
                      for i, area_id in enumerate(ids) if area_id not in areas or area_id == BOUNDARY_ID]
            if errors:
                raise invalid("Some areas are unknown.", *errors)
            refused = [FieldError(f"/target/area_ids/{i}", "is not one of your permitted areas")
                       for i, area_id in enumerate(ids) if not may_target_area(officer, area_id, officer.organisation)]
            if refused:
                raise forbidden("You may alert only your permitted areas.", *refused)
            return Area(tuple(polygon for area_id in ids for polygon in areas[area_id].polygons))
        if kind == "polygon":
            errors = check_geometry(target["geometry"], "/target/geometry", boundary)
            if errors:
                raise invalid("The drawn area cannot be used.", *errors)
        geometry = target_geometry(target)
        assert geometry is not None  # circle or polygon: the schema allows nothing else
        self._check_permitted(officer, geometry, boundary)
        return geometry

    def _check_permitted(self, officer: Officer, geometry: Target, boundary: Area | None) -> None:
        if officer.whole_organisation:
            if boundary is not None and isinstance(geometry, Circle) and not boundary.contains(*_centre(geometry)):
                raise forbidden("That circle is outside your organisation's boundary.",
                                FieldError("/target/center", "lies outside your organisation's boundary"))
            return
        permitted = self._areas(officer.organisation, officer.areas).values()
        outside = [point for point in _vertices(geometry) if not any(area.contains(*point) for area in permitted)]
        if outside:
            pointer = "/target/center" if isinstance(geometry, Circle) else "/target/geometry"
            raise forbidden("You may alert only inside your permitted areas.",
                            FieldError(pointer, "reaches outside your permitted areas"))
