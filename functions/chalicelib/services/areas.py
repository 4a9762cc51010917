"""Organisations' named areas: import (checked), list. Officers target these by id in alerts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DoesNotExist

from ..adapters.models import AreaModel
from ..domain.areas import check_geometry
from ..domain.coverage import Area
from ..domain.errors import FieldError, forbidden, invalid
from ..domain.officers import Officer, Role, may_target_area
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
        if boundary_at is not None and officer.role < Role.ADMIN:
            raise forbidden("Only admins can change the organisation's boundary.",
                            FieldError(f"/features/{boundary_at}/id", "needs an admin"))
        boundary = (Area.from_geojson(features[boundary_at]["geometry"]) if boundary_at is not None
                    else self.boundary(officer.organisation))
        for index, feature in enumerate(features):
            is_boundary = index == boundary_at
            if boundary is None and not is_boundary:
                errors.append(FieldError(f"/features/{index}", "import your organisation's boundary first"))
                continue
            errors.extend(check_geometry(feature["geometry"], f"/features/{index}/geometry",
                                         None if is_boundary else boundary))
        if errors:
            raise invalid("Some areas cannot be imported.", *errors)
        now = iso(self._clock())
        with AreaModel.batch_write() as batch:
            for feature in features:
                batch.save(AreaModel(organisation=officer.organisation, area_id=feature["id"],
                                     name=feature["properties"]["name"], geometry=json.dumps(feature["geometry"]),
                                     imported_by=officer.sub, imported_at=now))
        return {"organisation": officer.organisation, "imported": ids}

    def list_areas(self, officer: Officer) -> dict[str, Any]:
        areas = [{"id": item.area_id, "name": item.name, "imported_at": item.imported_at,
                  "permitted": item.area_id != BOUNDARY_ID and may_target_area(officer, item.area_id,
                                                                                item.organisation),
                  "geometry": json.loads(item.geometry)}
                 for item in AreaModel.query(officer.organisation)]
        return {"organisation": officer.organisation, "areas": areas}
