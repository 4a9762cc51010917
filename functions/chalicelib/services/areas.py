"""Organisations' named areas: import (checked), list. Officers target these by id in alerts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DoesNotExist
from shapely.geometry.base import BaseGeometry

from ..adapters.compressed_text import MAX_STORED_BYTES, compressed
from ..adapters.models import AreaModel
from ..domain.areas import IMPORT_MAX_POSITIONS, checked_area, outside_boundary
from ..domain.coverage import Area
from ..domain.errors import FieldError, forbidden, invalid
from ..domain.officers import Officer, Operator, Role, may_target_area
from ..domain.projection import shape_of
from .residents import iso

BOUNDARY_ID = "boundary"


class AreaService:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def boundary(self, organisation: str) -> Area | None:
        try:
            item = AreaModel.get(organisation, BOUNDARY_ID)
        except DoesNotExist:
            return None
        return Area.from_geojson(json.loads(item.geometry))

    def set_boundary(self, operator: Operator, organisation: str, geometry: dict[str, Any]) -> dict[str, Any]:
        """The organisation's boundary, set by a platform operator; every named area must stay inside it."""
        normalised, errors = checked_area(geometry, "/geometry", max_positions=IMPORT_MAX_POSITIONS)
        if errors:
            raise invalid("The boundary cannot be used.", *errors)
        text = json.dumps(normalised)
        if len(compressed(text)) > MAX_STORED_BYTES:
            raise invalid("The boundary cannot be used.",
                          FieldError("/geometry/coordinates", "is too detailed to store: simplify it"))
        outline = shape_of(normalised)
        outside = [FieldError("/geometry", f"area {item.area_id!r} would lie outside it")
                   for item in AreaModel.query(organisation)
                   if item.area_id != BOUNDARY_ID
                   and outside_boundary(shape_of(json.loads(item.geometry)), outline) is not None]
        if outside:
            raise invalid("Some of the organisation's areas would lie outside that boundary.", *outside)
        AreaModel(organisation=organisation, area_id=BOUNDARY_ID, name=organisation, geometry=text,
                  imported_by=operator.sub, imported_at=iso(self._clock())).save()
        return {"organisation": organisation, "boundary": "set"}

    def import_areas(self, officer: Officer, collection: dict[str, Any]) -> dict[str, Any]:
        """All or nothing: every feature is checked, and nothing is written unless all pass."""
        if officer.role < Role.SUPERVISOR:
            raise forbidden("Only supervisors and admins can import areas.")
        features = collection["features"]
        errors: list[FieldError] = []
        ids = [feature["id"] for feature in features]
        for index, area_id in enumerate(ids):
            if ids.index(area_id) != index:
                errors.append(FieldError(f"/features/{index}/id", f"{area_id!r} appears more than once"))
        boundary_at = ids.index(BOUNDARY_ID) if BOUNDARY_ID in ids else None
        if boundary_at is not None:
            # A force's own admin must not be able to widen where the force may send: the boundary is the platform
            # operator's (PUT /v1/organisations/{organisation}/boundary, set_boundary below).
            raise forbidden("Only a platform operator sets the organisation's boundary.",
                            FieldError(f"/features/{boundary_at}/id", "needs a platform operator"))
        checked = [checked_area(feature["geometry"], f"/features/{index}/geometry", max_positions=IMPORT_MAX_POSITIONS)
                   for index, feature in enumerate(features)]
        if boundary_at is None:
            outline = self._outline(officer.organisation)
        else:  # an invalid boundary is reported as such, and nothing is judged against it
            boundary, boundary_problems = checked[boundary_at]
            outline = None if boundary_problems else shape_of(boundary)
        stored: list[str] = []
        for index, (geometry, problems) in enumerate(checked):
            where = f"/features/{index}/geometry"
            errors.extend(problems)
            text = json.dumps(geometry, separators=(",", ":"))
            stored.append(text)
            if problems:
                continue
            if len(compressed(text)) > MAX_STORED_BYTES:
                errors.append(FieldError(where + "/coordinates", "is too detailed to store: simplify it"))
            if index == boundary_at or (boundary_at is not None and outline is None):
                continue
            if outline is None:
                errors.append(FieldError(f"/features/{index}", "needs the organisation's boundary first"))
                continue
            spot = outside_boundary(shape_of(geometry), outline)
            if spot is not None:
                errors.append(FieldError(where, "reaches outside your organisation's boundary near latitude "
                                                f"{spot[0]:.5f}, longitude {spot[1]:.5f}"))
        if errors:
            raise invalid("Some areas cannot be imported.", *errors)
        now = iso(self._clock())
        with AreaModel.batch_write() as batch:
            for feature, geometry_text in zip(features, stored, strict=True):
                batch.save(AreaModel(organisation=officer.organisation, area_id=feature["id"],
                                     name=feature["properties"]["name"], geometry=geometry_text,
                                     imported_by=officer.sub, imported_at=now))
        return {"organisation": officer.organisation, "imported": ids}

    def _outline(self, organisation: str) -> BaseGeometry | None:
        """The organisation's boundary as a shape in lng/lat, or None before it is set."""
        try:
            item = AreaModel.get(organisation, BOUNDARY_ID)
        except DoesNotExist:
            return None
        return shape_of(json.loads(item.geometry))

    def list_areas(self, officer: Officer) -> dict[str, Any]:
        areas = [{"id": item.area_id, "name": item.name, "imported_at": item.imported_at,
                  "permitted": item.area_id != BOUNDARY_ID and may_target_area(officer, item.area_id,
                                                                                item.organisation),
                  "geometry": json.loads(item.geometry)}
                 for item in AreaModel.query(officer.organisation)]
        return {"organisation": officer.organisation, "areas": areas}
