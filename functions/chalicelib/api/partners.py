"""Partner agencies: the host force's admins manage them (signed in, like the rest of the registry), and partners
raise alerts and read their outcome through signed requests (no sign-in: the HMAC signature is the credential).

Thin views over services/partners.py and services/partner_alerts.py; bodies are checked against schemas/partner.json
and schemas/partner-alert.json. docs/partners.md shows a partner how to sign.
"""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import cap_receiver, partner_alert_service, partner_service, schemas, webhook_delivery
from ..domain.cap import CAP_CONTENT_TYPE
from ..domain.errors import FieldError, HexwatchError, too_large
from ..domain.partners import IDEMPOTENCY_HEADER, SECRET_ID, SIGNATURE_HEADER
from ..domain.validation import parse_json_object
from .alerts import ALERT_BODY_BYTES, _alert_id
from .http import JSON_TYPES, handles_errors, json_response, raw_body, validated_json
from .officers import current_principal, officer_authorizer

partners_api = Blueprint(__name__)

PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _partner_id(value: str) -> str:
    if not PARTNER_ID.match(value):
        raise HexwatchError("There is no such partner.", [FieldError("/partner_id", "is not an id")], 404, "NotFound")
    return value


# --- managed by the host force -------------------------------------------------------------------------------------


@partners_api.route("/v1/partners", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def list_partners() -> Response:
    request = partners_api.current_request
    host = dict(request.query_params or {}).get("host_force")
    return json_response(partner_service().list_partners(current_principal(request),
                                                         _partner_id(host) if host else None))


@partners_api.route("/v1/partners/{partner_id}", methods=["PUT"], content_types=JSON_TYPES,
                    authorizer=officer_authorizer)
@handles_errors
def set_partner(partner_id: str) -> Response:
    request = partners_api.current_request
    actor = current_principal(request)
    body = validated_json(request, "partner")
    return json_response(partner_service().set_partner(actor, _partner_id(partner_id), body))


@partners_api.route("/v1/partners/{partner_id}", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def read_partner(partner_id: str) -> Response:
    return json_response(partner_service().get_partner(current_principal(partners_api.current_request),
                                                       _partner_id(partner_id)))


@partners_api.route("/v1/partners/{partner_id}/secrets", methods=["POST"], content_types=JSON_TYPES,
                    authorizer=officer_authorizer)
@handles_errors
def add_secret(partner_id: str) -> Response:
    return json_response(partner_service().add_secret(current_principal(partners_api.current_request),
                                                      _partner_id(partner_id)), 201)


@partners_api.route("/v1/partners/{partner_id}/secrets/{secret_id}", methods=["DELETE"],
                    authorizer=officer_authorizer)
@handles_errors
def revoke_secret(partner_id: str, secret_id: str) -> Response:
    if not SECRET_ID.match(secret_id):
        raise HexwatchError("The partner has no such secret.", [FieldError("/secret_id", "is not an id")], 404,
                            "NotFound")
    return json_response(partner_service().revoke_secret(current_principal(partners_api.current_request),
                                                         _partner_id(partner_id), secret_id))


# --- called by the partner, signed ---------------------------------------------------------------------------------


def _partner_alert(raw: bytes) -> dict[str, Any]:
    return schemas().validate("partner-alert", parse_json_object(raw, max_bytes=ALERT_BODY_BYTES))


def _mapped_partner_alert(body: dict[str, Any]) -> dict[str, Any]:
    return schemas().validate("partner-alert", body)


@partners_api.route("/v1/partners/{partner_id}/alerts", methods=["POST"],
                    content_types=[*JSON_TYPES, CAP_CONTENT_TYPE])
@handles_errors
def receive_partner_alert(partner_id: str) -> Response:
    """JSON (the partner subset of the alert schema), or a CAP 1.2 message (domain/cap.py)."""
    request = partners_api.current_request
    raw = raw_body(request)
    if len(raw) > ALERT_BODY_BYTES:
        raise too_large(ALERT_BODY_BYTES)  # before the signature: hashing ten megabytes is work for nobody
    service = partner_alert_service()
    partner = service.signed_partner(_partner_id(partner_id), request.headers.get(SIGNATURE_HEADER), raw)
    if (request.headers.get("content-type") or "").split(";")[0].strip().lower() == CAP_CONTENT_TYPE:
        status, shown = cap_receiver().receive(partner, raw, _mapped_partner_alert)
    else:
        status, shown = service.receive(partner, request.headers.get(IDEMPOTENCY_HEADER), raw, _partner_alert)
    location = f"/v1/partners/{partner.id}/alerts/{shown['id']}"
    return json_response(shown, status, {"Location": location})


@partners_api.route("/v1/partners/{partner_id}/alerts/{alert_id}", methods=["GET"])
@handles_errors
def read_partner_alert(partner_id: str, alert_id: str) -> Response:
    request = partners_api.current_request
    partner_id, alert_id = _partner_id(partner_id), _alert_id(alert_id)
    service = partner_alert_service()
    # No body to sign: the path is signed instead, so that a signed read cannot be replayed against another alert.
    signed_path = f"/v1/partners/{partner_id}/alerts/{alert_id}".encode()
    partner = service.signed_partner(partner_id, request.headers.get(SIGNATURE_HEADER), signed_path)
    return json_response(service.read(partner, alert_id))


@partners_api.route("/v1/partners/{partner_id}/webhook-deliveries", methods=["GET"])
@handles_errors
def read_webhook_deliveries(partner_id: str) -> Response:
    """The partner's recent webhook events and how each delivery went; signed over the path, like a read of an
    alert."""
    request = partners_api.current_request
    partner_id = _partner_id(partner_id)
    signed_path = f"/v1/partners/{partner_id}/webhook-deliveries".encode()
    partner = partner_alert_service().signed_partner(partner_id, request.headers.get(SIGNATURE_HEADER), signed_path)
    return json_response(webhook_delivery().deliveries(partner))
