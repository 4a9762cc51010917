"""The officer registry and the organisations: force admins manage their own people, platform operators manage forces.

Thin views over services/registry.py and services/areas.py; bodies are checked against schemas/officer-entry.json,
schemas/organisation.json and schemas/boundary.json.
"""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import area_service, registry_service
from ..domain.areas import IMPORT_MAX_POSITIONS, position_count
from ..domain.errors import FieldError, HexwatchError
from .http import JSON_TYPES, handles_errors, json_response, validated_json
from .officers import current_operator, current_principal, officer_authorizer

registry_api = Blueprint(__name__)

ORGANISATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
USERNAME = re.compile(r"^[^\s/]{3,128}$")  # Cognito's user names are at most 128 characters
BOUNDARY_BODY_BYTES = 4 * 1024 * 1024  # a force boundary at the import cap (docs/security.md)


def _organisation_id(value: str) -> str:
    if not ORGANISATION_ID.match(value):
        raise HexwatchError("There is no such organisation.", [FieldError("/organisation", "is not an id")], 404,
                            "NotFound")
    return value


def _username(value: str) -> str:
    if not USERNAME.match(value):
        raise HexwatchError("There is no such user.", [FieldError("/username", "is not a sign-in name")], 404,
                            "NotFound")
    return value


@registry_api.route("/v1/officers", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def list_officers() -> Response:
    request = registry_api.current_request
    params: dict[str, str] = dict(request.query_params or {})
    organisation = params.get("organisation")
    return json_response(registry_service().list_officers(
        current_principal(request), _organisation_id(organisation) if organisation else None))


@registry_api.route("/v1/officers/{username}", methods=["PUT"], content_types=JSON_TYPES,
                    authorizer=officer_authorizer)
@handles_errors
def set_officer(username: str) -> Response:
    request = registry_api.current_request
    actor = current_principal(request)
    body = validated_json(request, "officer-entry")
    return json_response(registry_service().set_officer(actor, _username(username), body))


@registry_api.route("/v1/officers/{username}", methods=["DELETE"], authorizer=officer_authorizer)
@handles_errors
def remove_officer(username: str) -> Response:
    registry_service().remove_officer(current_principal(registry_api.current_request), _username(username))
    return Response(body="", status_code=204)


@registry_api.route("/v1/organisations", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def list_organisations() -> Response:
    return json_response(registry_service().list_organisations(current_principal(registry_api.current_request)))


@registry_api.route("/v1/organisations/{organisation}", methods=["PUT"], content_types=JSON_TYPES,
                    authorizer=officer_authorizer)
@handles_errors
def set_organisation(organisation: str) -> Response:
    request = registry_api.current_request
    actor = current_principal(request)
    body = validated_json(request, "organisation")
    return json_response(registry_service().set_organisation(actor, _organisation_id(organisation), body))


@registry_api.route("/v1/organisations/{organisation}/boundary", methods=["PUT"], content_types=JSON_TYPES,
                    authorizer=officer_authorizer)
@handles_errors
def set_boundary(organisation: str) -> Response:
    request = registry_api.current_request
    operator = current_operator(request)
    organisation = _organisation_id(organisation)
    registry_service().require_organisation(organisation)
    body = validated_json(request, "boundary", max_bytes=BOUNDARY_BODY_BYTES, before_schema=_boundary_size)
    result = area_service().set_boundary(operator, organisation, body["geometry"])
    registry_service().record_boundary(operator, organisation, position_count(body["geometry"]["coordinates"]))
    return json_response(result)


def _boundary_size(document: dict[str, Any]) -> list[FieldError]:
    """Counted before the schema, whose work grows with every position (domain/areas.py has the caps)."""
    geometry = document.get("geometry")
    count = position_count(geometry.get("coordinates")) if isinstance(geometry, dict) else 0
    if count > IMPORT_MAX_POSITIONS:
        return [FieldError("/geometry/coordinates",
                           f"has {count:,} positions, more than {IMPORT_MAX_POSITIONS:,}: simplify it")]
    return []

