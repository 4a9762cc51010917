"""Turns an alert's `target` into the geometry to cover, and refuses targets the officer may not reach.

What an officer may reach is the union of their permitted areas, or their organisation's boundary for an officer of
the whole organisation. A target is allowed only if its WHOLE geometry (a circle as the polygon that contains it)
lies inside that union, decided exactly in metres (domain/scope.py, tolerance in docs/security.md): a triangle
bridging two permitted towns, a polygon in a U-shaped area's gap, or a circle spilling over the force's border is
refused. An organisation without a boundary cannot send at all. Named areas must be the force's own and on the
officer's list.

The worker never re-checks permissions (the officer is not there); it reads the geometry alone (`geometry`) and drops
every resident outside the union frozen into the alert when it was sent or approved (`resolve_and_freeze`,
`Reach.freeze`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from ..adapters.models import AreaModel
from ..domain.alerts import target_geometry
from ..domain.areas import DRAWN_MAX_POSITIONS, checked_area
from ..domain.coverage import Area, Circle, Target, check_cover_cost
from ..domain.errors import FieldError, HexwatchError, forbidden, invalid
from ..domain.officers import Officer, may_target_area
from ..domain.projection import shape_of
from ..domain.scope import freeze, overlaps, target_within
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


OUTSIDE_POINTERS = {"circle": "/target/center", "polygon": "/target/geometry"}


def outside(target: dict[str, Any]) -> Exception:
    pointer = OUTSIDE_POINTERS.get(target["type"], "/target")
    return forbidden("You may alert only inside your permitted areas.",
                     FieldError(pointer, "reaches outside your permitted areas"))


def aimed_outside() -> Exception:
    return forbidden("This alert is aimed outside your permitted areas.",
                     FieldError("/target", "reaches outside your permitted areas"))


def _named(area_ids: list[str], found: dict[str, dict[str, Any]]) -> Area:
    """The named areas that exist among `found`, as one (Multi)Polygon area."""
    return Area(tuple(polygon for area_id in area_ids if area_id in found
                      for polygon in Area.from_geojson(found[area_id]).polygons))


def _permitted_from(officer: Officer, found: dict[str, dict[str, Any]]) -> BaseGeometry:
    """The union of the officer's areas among `found` (lng/lat), or the boundary for a whole-force officer; empty for
    an officer with no scope (fail closed)."""
    if officer.whole_organisation:
        return shape_of(found[BOUNDARY_ID])
    shapes = [shapely.make_valid(shape_of(found[a])) for a in officer.areas if a in found and a != BOUNDARY_ID]
    return shapely.union_all(shapes) if shapes else shapely.Polygon()


class TargetResolver:
    def _areas(self, organisation: str, area_ids: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """The GeoJSON geometry of each of these areas that exists, in one read."""
        if not area_ids:
            return {}
        return {item.area_id: json.loads(item.geometry)
                for item in AreaModel.batch_get([(organisation, area_id) for area_id in sorted(set(area_ids))])}

    def _with_reach(self, officer: Officer, area_ids: list[str]) -> dict[str, dict[str, Any]]:
        """`area_ids`, the boundary and, for an area-limited officer, their own areas: everything a check needs, in one
        read."""
        own = [] if officer.whole_organisation else list(officer.areas)
        return self._areas(officer.organisation, [BOUNDARY_ID, *area_ids, *own])

    def area_containing(self, organisation: str, area_ids: list[str], points: list[tuple[float, float]]) -> str | None:
        """The first of these named areas that holds any of the (lat, lng) points: a survey answer's row."""
        found = self._areas(organisation, area_ids)
        for area_id in area_ids:
            if area_id in found:
                area = shapely.make_valid(shape_of(found[area_id]))
                if any(area.covers(shapely.Point(lng, lat)) for lat, lng in points):
                    return area_id
        return None

    def area_names(self, organisation: str, area_ids: list[str]) -> dict[str, str]:
        if not area_ids:
            return {}
        return {item.area_id: item.name
                for item in AreaModel.batch_get([(organisation, area_id) for area_id in sorted(set(area_ids))],
                                                attributes_to_get=["area_id", "name"])}

    # --- the geometry alone (the worker, and the checks below) -----------------------------------------------------

    def geometry(self, organisation: str, target: dict[str, Any]) -> Target:
        """The geometry of a stored (already checked) target; no permission is checked here."""
        kind = target["type"]
        if kind in ("organisation", "areas"):
            ids = [BOUNDARY_ID] if kind == "organisation" else list(target["area_ids"])
            return _named(ids, self._areas(organisation, ids))
        geometry = target_geometry(target)
        assert geometry is not None  # circle or polygon: the schema allows nothing else
        return geometry

    def area_filter(self, organisation: str, area_id: str) -> Callable[[dict[str, Any]], bool]:
        """A test of stored targets: does this one reach into the named area? (404 when there is no such area.)"""
        found = self._areas(organisation, [area_id])
        if area_id not in found:
            raise HexwatchError("There is no such area.", [FieldError("/area", "is not one of your organisation's "
                                                                                "areas")], 404, "NotFound")
        area = shapely.make_valid(shape_of(found[area_id]))

        def reaches(target: dict[str, Any]) -> bool:
            if target["type"] == "organisation" or area_id in target.get("area_ids", ()):
                return True
            return overlaps(self.geometry(organisation, target), area)
        return reaches

    # --- what an officer may reach ---------------------------------------------------------------------------------

    def permitted(self, officer: Officer) -> BaseGeometry:
        """What the officer may reach (lng/lat); 403 when the organisation has no boundary."""
        found = self._with_reach(officer, [])
        if BOUNDARY_ID not in found:
            raise no_boundary()
        return _permitted_from(officer, found)

    def resolve(self, officer: Officer, target: dict[str, Any]) -> Target:
        """The geometry of `target` for this officer, or a 4xx naming the part of the target that is refused."""
        return self._resolve(officer, target)[0]

    def resolve_and_freeze(self, officer: Officer, target: dict[str, Any]) -> tuple[Target, str]:
        """As `resolve`, and the officer's reach around the target, frozen to store with the alert."""
        geometry, permitted = self._resolve(officer, target)
        return geometry, freeze(permitted, geometry)

    def _resolve(self, officer: Officer, target: dict[str, Any]) -> tuple[Target, BaseGeometry]:
        kind = target["type"]
        if kind == "organisation" and not officer.whole_organisation:
            raise forbidden("You may alert only your own areas, not the whole organisation.",
                            FieldError("/target/type", "needs an officer of the whole organisation"))
        if kind == "polygon":
            normalised, problems = checked_area(target["geometry"], "/target/geometry",
                                                max_positions=DRAWN_MAX_POSITIONS)
            if problems:
                raise invalid("The drawn area cannot be used.", *problems)
            target = {**target, "geometry": normalised}
        ids = list(target["area_ids"]) if kind == "areas" else []
        found = self._with_reach(officer, ids)
        if kind == "areas":
            errors = [FieldError(f"/target/area_ids/{i}", "is not one of your organisation's areas")
                      for i, area_id in enumerate(ids) if area_id not in found or area_id == BOUNDARY_ID]
            if errors:
                raise invalid("Some areas are unknown.", *errors)
            refused = [FieldError(f"/target/area_ids/{i}", "is not one of your permitted areas")
                       for i, area_id in enumerate(ids) if not may_target_area(officer, area_id, officer.organisation)]
            if refused:
                raise forbidden("You may alert only your permitted areas.", *refused)
        if BOUNDARY_ID not in found:
            raise no_boundary()
        permitted = _permitted_from(officer, found)
        if kind in ("organisation", "areas"):
            # Named areas lie inside the boundary (checked at import), and an officer names only their own.
            geometry: Target = _named(ids or [BOUNDARY_ID], found)
        else:
            geometry = self.geometry(officer.organisation, target)
            if not target_within(geometry, permitted):
                raise outside(target)
        check_cover_cost(geometry)
        return geometry, permitted

    def reach(self, officer: Officer) -> Reach:
        return Reach(self, officer)


class Reach:
    """Whether one officer may act on alerts aimed here or there (approve, cancel, read, list), reading what they may
    reach at most once however many alerts are checked."""

    def __init__(self, resolver: TargetResolver, officer: Officer) -> None:
        self._resolver = resolver
        self._officer = officer
        self._permitted: BaseGeometry | None = None

    @property
    def permitted(self) -> BaseGeometry:
        if self._permitted is None:
            self._permitted = self._resolver.permitted(self._officer)
        return self._permitted

    def check(self, target: dict[str, Any]) -> None:
        """403 when an area-limited officer's alert target lies outside their areas."""
        officer = self._officer
        if officer.whole_organisation:
            return
        if target["type"] == "organisation":
            raise forbidden("This alert is for the whole organisation, beyond your permitted areas.",
                            FieldError("/target", "reaches outside your permitted areas"))
        if target["type"] == "areas":
            if not all(may_target_area(officer, area_id, officer.organisation) for area_id in target["area_ids"]):
                raise aimed_outside()
            return
        if not target_within(self._resolver.geometry(officer.organisation, target), self.permitted):
            raise aimed_outside()

    def allows(self, target: dict[str, Any]) -> bool:
        try:
            self.check(target)
        except HexwatchError:
            return False
        return True

    def freeze(self, target: dict[str, Any], earlier: str | None = None) -> str:
        """The officer's reach around the target, to store with the alert (intersected with `earlier`)."""
        return freeze(self.permitted, self._resolver.geometry(self._officer.organisation, target), earlier)
