"""Named areas: supervisors and admins import GeoJSON; every officer lists their organisation's areas."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import area_service
from .http import JSON_TYPES, handles_errors, json_response, validated_json
from .officers import current_officer, officer_authorizer

areas_api = Blueprint(__name__)

AREA_BODY_BYTES = 1024 * 1024  # GeoJSON of a force's wards is larger than a resident's form


@areas_api.route("/v1/areas", methods=["POST"], content_types=JSON_TYPES, authorizer=officer_authorizer)
@handles_errors
def import_areas() -> Response:
    request = areas_api.current_request
    officer = current_officer(request)
    collection = validated_json(request, "areas-import", max_bytes=AREA_BODY_BYTES)
    return json_response(area_service().import_areas(officer, collection), 201)


@areas_api.route("/v1/areas", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def list_areas() -> Response:
    return json_response(area_service().list_areas(current_officer(areas_api.current_request)))
