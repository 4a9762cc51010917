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
from ..domain.errors import FieldError, forbidden, invalid
from ..domain.officers import Officer, Operator, Role, may_target_area
from ..domain.projection import shape_of
from .residents import iso

BOUNDARY_ID = "boundary"


def _storable(geometry_text: str) -> bool:
    """Whether the geometry fits one DynamoDB item once compressed (adapters/compressed_text.py)."""
    return len(compressed(geometry_text)) <= MAX_STORED_BYTES


def _too_detailed(geometry_pointer: str) -> FieldError:
    return FieldError(geometry_pointer + "/coordinates", "is too detailed to store: simplify it")


class AreaService:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def set_boundary(self, operator: Operator, organisation: str, geometry: dict[str, Any]) -> dict[str, Any]:
        """The organisation's boundary, set by a platform operator; every named area must stay inside it."""
        normalised, errors = checked_area(geometry, "/geometry", max_positions=IMPORT_MAX_POSITIONS)
        if errors:
            raise invalid("The boundary cannot be used.", *errors)
        text = json.dumps(normalised, separators=(",", ":"))
        if not _storable(text):
            raise invalid("The boundary cannot be used.", _too_detailed("/geometry"))
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
        if BOUNDARY_ID in ids:
            # A force's own admin must not be able to widen where the force may send: the boundary is the platform
            # operator's (PUT /v1/organisations/{organisation}/boundary, set_boundary above).
            raise forbidden("Only a platform operator sets the organisation's boundary.",
                            FieldError(f"/features/{ids.index(BOUNDARY_ID)}/id", "needs a platform operator"))
        outline = self._outline(officer.organisation)
        stored: list[str] = []
        for index, feature in enumerate(features):
            where = f"/features/{index}/geometry"
            geometry, problems = checked_area(feature["geometry"], where, max_positions=IMPORT_MAX_POSITIONS)
            errors.extend(problems)
            text = json.dumps(geometry, separators=(",", ":"))
            stored.append(text)
            if problems:
                continue
            if not _storable(text):
                errors.append(_too_detailed(where))
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

    def area_ids(self, organisation: str) -> list[str]:
        """The organisation's named areas (not its boundary), read without their geometry."""
        return [item.area_id for item in AreaModel.query(organisation, attributes_to_get=["area_id"])
                if item.area_id != BOUNDARY_ID]

    def list_areas(self, officer: Officer) -> dict[str, Any]:
        areas = [{"id": item.area_id, "name": item.name, "imported_at": item.imported_at,
                  "permitted": item.area_id != BOUNDARY_ID and may_target_area(officer, item.area_id,
                                                                                item.organisation),
                  "geometry": json.loads(item.geometry)}
                 for item in AreaModel.query(officer.organisation)]
        return {"organisation": officer.organisation, "areas": areas}
