"""Named areas: supervisors and admins import GeoJSON; every officer lists their organisation's areas."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import area_service
from ..domain.areas import import_document_errors
from .http import JSON_TYPES, handles_errors, json_response, validated_json
from .officers import current_officer, officer_authorizer

areas_api = Blueprint(__name__)

# Room for an import at its position cap as ogr2ogr writes it (29 to 36 bytes a position), and under Lambda's 6 MB
# request limit. This bounds the JSON parse; the position counts (domain/areas.py) bound everything after it.
AREA_BODY_BYTES = 4 * 1024 * 1024


@areas_api.route("/v1/areas", methods=["POST"], content_types=JSON_TYPES, authorizer=officer_authorizer)
@handles_errors
def import_areas() -> Response:
    request = areas_api.current_request
    officer = current_officer(request)
    # The counts and the crs come before the schema, which costs about 25 us a position and would answer a file in
    # metres once per coordinate.
    collection = validated_json(request, "areas-import", max_bytes=AREA_BODY_BYTES,
                                before_schema=import_document_errors)
    return json_response(area_service().import_areas(officer, collection), 201)


@areas_api.route("/v1/areas", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def list_areas() -> Response:
    return json_response(area_service().list_areas(current_officer(areas_api.current_request)))
