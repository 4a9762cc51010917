"""The signed-in resident's own account: read, change, export, erase, register an app for push."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import services
from .http import JSON_TYPES, handles_errors, json_response, validated_json

account_api = Blueprint(__name__)


def _signed_in():  # type: ignore[no-untyped-def]
    return services().residents.authenticate(account_api.current_request.headers.get("authorization"))


@account_api.route("/v1/me", methods=["GET"])
@handles_errors
def read_account() -> Response:
    return json_response(services().residents.view(_signed_in()))


@account_api.route("/v1/me", methods=["PATCH"], content_types=JSON_TYPES)
@handles_errors
def change_account() -> Response:
    resident = _signed_in()
    body = validated_json(account_api.current_request, "preferences-update")
    return json_response(services().residents.update(resident, body))


@account_api.route("/v1/me", methods=["DELETE"])
@handles_errors
def erase_account() -> Response:
    services().residents.erase(_signed_in())
    return Response(body="", status_code=204)


@account_api.route("/v1/me/export", methods=["GET"])
@handles_errors
def export_account() -> Response:
    return json_response(services().residents.export(_signed_in()),
                         headers={"Content-Disposition": 'attachment; filename="my-hexwatch-data.json"'})


@account_api.route("/v1/me/devices", methods=["POST"], content_types=JSON_TYPES)
@handles_errors
def register_device() -> Response:
    resident = _signed_in()
    body = validated_json(account_api.current_request, "device")
    return json_response(services().residents.register_device(resident, body), 201)
