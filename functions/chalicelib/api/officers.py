"""The officers' API: the built-in authorizer that every officer route names, and who the signed-in officer is.

The authorizer verifies the Cognito JWT itself (Chalice's Cognito authorizer lets everything through under `chalice
local`), so one code path runs locally and in AWS. It passes the officer to the view in the authorizer context
(strings only, as API Gateway requires), and `current_officer` rebuilds it there.

A refused token: API Gateway answers 401 when a TOKEN authorizer fails with exactly "Unauthorized". The local
gateway (`chalice local`, `chalice.test.Client`) only turns its own exceptions into responses: anything else raised
by an authorizer escapes (the test client raises, the local server drops the connection), and an authorizer that
allows no routes gets 403. So a refusal is the local gateway's 401 exception where it exists, whose message is also
"Unauthorized", and a plain Exception("Unauthorized") in Lambda, where only `chalice.app` is packaged.
"""

from __future__ import annotations

import json

from chalice import Blueprint
from chalice.app import AuthRequest, AuthResponse, Request, Response

from ..adapters.cognito_jwt import TokenRejected
from ..bootstrap import officer_verifier
from ..domain.errors import FieldError, HexwatchError
from ..domain.officers import Officer, Role
from ..observability import logger
from .http import handles_errors, json_response

officer_api = Blueprint(__name__)

GATEWAY_UNAUTHORIZED = "Unauthorized"  # the one failure message API Gateway maps to 401
REALM = 'Bearer realm="hexwatch-officers"'
SIGN_IN_AGAIN = "Sign in again: the officer token is missing, invalid or expired."


def officer_unauthorised() -> HexwatchError:
    return HexwatchError(SIGN_IN_AGAIN, [FieldError("", "unauthorised")], 401, "Unauthorized",
                         {"WWW-Authenticate": REALM})


def gateway_refusal() -> Exception:
    error = officer_unauthorised()
    try:
        from chalice.local import NotAuthorizedError
    except ImportError:
        return Exception(GATEWAY_UNAUTHORIZED)
    body = {"code": error.code, "message": error.message,
            "errors": [{"pointer": e.pointer, "message": e.message} for e in error.errors]}
    refusal = NotAuthorizedError({"Content-Type": "application/json", "x-amzn-ErrorType": "UnauthorizedException",
                                  **error.headers}, json.dumps(body).encode("utf-8"))
    refusal.args = (GATEWAY_UNAUTHORIZED,)
    return refusal


def bearer_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").strip().partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def officer_context(officer: Officer) -> dict[str, str]:
    return {"sub": officer.sub, "username": officer.username, "organisation": officer.organisation,
            "role": officer.role.group, "areas": ",".join(officer.areas)}


@officer_api.authorizer()
def officer_authorizer(auth_request: AuthRequest) -> AuthResponse:
    token = bearer_token(auth_request.token)
    if token is None:
        logger.info("officer token refused", extra={"reason": "no bearer token"})
        raise gateway_refusal()
    try:
        officer = officer_verifier().officer(token)
    except TokenRejected as rejected:
        logger.info("officer token refused", extra={"reason": rejected.reason})
        raise gateway_refusal() from None
    # Every route: API Gateway caches this policy per token for all the authorizer's routes, so a narrower one
    # would refuse the next route with a cached answer. The views decide what the role allows.
    return AuthResponse(routes=["*"], principal_id=officer.sub, context=officer_context(officer))


def current_officer(request: Request) -> Officer:
    """The officer the authorizer let in; a view without the authorizer gets 401, never an anonymous officer."""
    context = (request.context or {}).get("authorizer") or {}
    role = Role.from_group(str(context.get("role", "")))
    if role is None or not context.get("sub") or not context.get("organisation"):
        raise officer_unauthorised()
    areas = tuple(a for a in str(context.get("areas") or "").split(",") if a)
    return Officer(sub=str(context["sub"]), username=str(context.get("username") or context["sub"]),
                   organisation=str(context["organisation"]), role=role, areas=areas)


@officer_api.route("/v1/officer/me", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def signed_in_officer() -> Response:
    officer = current_officer(officer_api.current_request)
    return json_response({"username": officer.username, "organisation": officer.organisation,
                          "role": officer.role.group, "areas": list(officer.areas),
                          "whole_organisation": officer.whole_organisation})
