"""Turns an alert's `target` into the geometry to cover, and refuses targets the officer may not reach.

What an officer may reach is the union of their permitted areas, or their organisation's boundary for an officer of
the whole organisation. A target is allowed only if its WHOLE geometry (a circle as the polygon that contains it)
lies inside that union, decided exactly in metres (domain/scope.py, tolerance in docs/security.md): a triangle
bridging two permitted towns, a polygon in a U-shaped area's gap, or a circle spilling over the force's border is
refused. An organisation without a boundary cannot send at all. Named areas must be the force's own and on the
officer's list.

The worker never re-checks permissions (the officer is not there); it reads the geometry alone (`geometry`) and drops
every resident outside the union frozen into the alert when it was sent or approved (`frozen_scope`).
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from ..adapters.models import AreaModel
from ..domain.alerts import target_geometry
from ..domain.areas import DRAWN_MAX_POSITIONS, checked_area
from ..domain.coverage import Area, Circle, Target, check_cover_cost
from ..domain.errors import FieldError, forbidden, invalid
from ..domain.officers import Officer, may_target_area
from ..domain.projection import shape_of
from ..domain.scope import freeze, target_within
from .areas import BOUNDARY_ID


def _centre(target: Target) -> tuple[float, float]:
    if isinstance(target, Circle):
        return target.lat, target.lng
    points = [(p[1], p[0]) for rings in target.polygons for p in rings[0][:-1]]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def footage_centre(target: Target) -> tuple[float, float]:
    """Where a footage request looks from: the circle's centre, or the middle of a drawn area's vertices."""
    return _centre(target)


def no_boundary() -> Exception:
    return forbidden("Your organisation has no boundary yet, so nothing can be sent: a platform operator sets it.",
                     FieldError("/target", "the organisation has no boundary"))


def outside(target: dict[str, Any]) -> Exception:
    pointer = "/target/center" if target["type"] == "circle" else "/target"
    if target["type"] == "polygon":
        pointer = "/target/geometry"
    return forbidden("You may alert only inside your permitted areas.",
                     FieldError(pointer, "reaches outside your permitted areas"))


class TargetResolver:
    def _areas(self, organisation: str, area_ids: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """The GeoJSON geometry of each of these areas that exists."""
        if not area_ids:
            return {}
        return {item.area_id: json.loads(item.geometry)
                for item in AreaModel.batch_get([(organisation, area_id) for area_id in sorted(set(area_ids))])}

    # --- the geometry alone (the worker, and the checks below) -----------------------------------------------------

    def geometry(self, organisation: str, target: dict[str, Any]) -> Target:
        """The geometry of a stored (already checked) target; no permission is checked here."""
        kind = target["type"]
        if kind in ("organisation", "areas"):
            ids = [BOUNDARY_ID] if kind == "organisation" else list(target["area_ids"])
            found = self._areas(organisation, ids)
            return Area(tuple(polygon for area_id in ids if area_id in found
                              for polygon in Area.from_geojson(found[area_id]).polygons))
        geometry = target_geometry(target)
        assert geometry is not None  # circle or polygon: the schema allows nothing else
        return geometry

    # --- what an officer may reach ---------------------------------------------------------------------------------

    def permitted(self, officer: Officer) -> BaseGeometry:
        """The union of the officer's permitted areas (lng/lat), or their organisation's boundary; raises 403 when
        the organisation has no boundary, and is empty for an officer with no scope (fail closed)."""
        wanted = [BOUNDARY_ID] if officer.whole_organisation else [BOUNDARY_ID, *officer.areas]
        found = self._areas(officer.organisation, wanted)
        if BOUNDARY_ID not in found:
            raise no_boundary()
        if officer.whole_organisation:
            return shape_of(found[BOUNDARY_ID])
        shapes = [shapely.make_valid(shape_of(found[a])) for a in officer.areas if a in found and a != BOUNDARY_ID]
        return shapely.union_all(shapes) if shapes else shapely.Polygon()

    def resolve(self, officer: Officer, target: dict[str, Any]) -> Target:
        """The geometry of `target` for this officer, or a 4xx naming the part of the target that is refused."""
        kind = target["type"]
        if kind == "organisation":
            if not officer.whole_organisation:
                raise forbidden("You may alert only your own areas, not the whole organisation.",
                                FieldError("/target/type", "needs an officer of the whole organisation"))
            self.permitted(officer)  # raises when there is no boundary
            check_cover_cost(self.geometry(officer.organisation, target))
            return self.geometry(officer.organisation, target)
        if kind == "areas":
            ids = list(target["area_ids"])
            known = self._areas(officer.organisation, ids)
            errors = [FieldError(f"/target/area_ids/{i}", "is not one of your organisation's areas")
                      for i, area_id in enumerate(ids) if area_id not in known or area_id == BOUNDARY_ID]
            if errors:
                raise invalid("Some areas are unknown.", *errors)
            refused = [FieldError(f"/target/area_ids/{i}", "is not one of your permitted areas")
                       for i, area_id in enumerate(ids) if not may_target_area(officer, area_id, officer.organisation)]
            if refused:
                raise forbidden("You may alert only your permitted areas.", *refused)
            self.permitted(officer)  # raises when there is no boundary
            check_cover_cost(self.geometry(officer.organisation, target))
            return self.geometry(officer.organisation, target)
        if kind == "polygon":
            normalised, problems = checked_area(target["geometry"], "/target/geometry",
                                                max_positions=DRAWN_MAX_POSITIONS)
            if problems:
                raise invalid("The drawn area cannot be used.", *problems)
            target = {**target, "geometry": normalised}
        geometry = self.geometry(officer.organisation, target)
        if not target_within(geometry, self.permitted(officer)):
            raise outside(target)
        check_cover_cost(geometry)
        return geometry

    def check_reach(self, officer: Officer, target: dict[str, Any]) -> None:
        """403 when an area-limited officer acts on (approves, cancels, reads) an alert aimed outside their areas."""
        if officer.whole_organisation:
            return
        if target["type"] == "organisation":
            raise forbidden("This alert is for the whole organisation, beyond your permitted areas.",
                            FieldError("/target", "reaches outside your permitted areas"))
        if target["type"] == "areas":
            if all(may_target_area(officer, area_id, officer.organisation) for area_id in target["area_ids"]):
                return
            raise forbidden("This alert is aimed outside your permitted areas.",
                            FieldError("/target", "reaches outside your permitted areas"))
        if not target_within(self.geometry(officer.organisation, target), self.permitted(officer)):
            raise forbidden("This alert is aimed outside your permitted areas.",
                            FieldError("/target", "reaches outside your permitted areas"))

    def frozen_scope(self, officer: Officer, target: dict[str, Any], earlier: str | None = None) -> str:
        """The officer's permitted union around this target, to store with the alert (intersected with `earlier`)."""
        return freeze(self.permitted(officer), self.geometry(officer.organisation, target), earlier)
