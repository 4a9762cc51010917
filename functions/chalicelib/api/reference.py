"""Public lookups for the signup page: the lists to choose from, and a postcode's approximate point."""

from __future__ import annotations

from collections.abc import Mapping

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import geocoder, schemas
from ..domain.errors import FieldError, HexwatchError, invalid
from .http import handles_errors, json_response

reference_api = Blueprint(__name__)


@reference_api.route("/v1/reference", methods=["GET"])
@handles_errors
def reference_lists() -> Response:
    return json_response(schemas().reference_lists(), headers={"Cache-Control": "public, max-age=3600"})


@reference_api.route("/v1/geocode", methods=["GET"])
@handles_errors
def geocode() -> Response:
    query: Mapping[str, str] = reference_api.current_request.query_params or {}
    postcode = query.get("postcode", "").strip()
    if not postcode or len(postcode) > 8:
        raise invalid("Give a UK postcode.", FieldError("/postcode", "is required (at most 8 characters)"))
    point = geocoder().geocode(postcode)
    if point is None:
        raise HexwatchError("We could not find that postcode.",
                            [FieldError("/postcode", "is not a known UK postcode")], 404, "NotFound")
    return json_response({"postcode": postcode.upper(), "lat": point.lat, "lng": point.lng,
                          "precision": point.precision, "approximate": point.precision == "district",
                          "note": point.note})
