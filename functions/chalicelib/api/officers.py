"""The officers' API: the built-in authorizer that every officer route names, and who the signed-in officer is.

The authorizer verifies the Cognito JWT itself (Chalice's Cognito authorizer lets everything through under `chalice
local`), so one code path runs locally and in AWS. The token proves only who the user is (its `sub`); their
organisation, role and areas come from the officer registry (adapters/officer_registry.py), read on every request and
cached for at most 60 s, and every `custom:*` claim and group in the token is ignored. The authorizer passes the
result to the view in the authorizer context (strings only, as API Gateway requires), and `current_officer` rebuilds
it there. API Gateway caches the authorizer's answer per token for 60 s (`ttl_seconds`), so a removal or a narrowed
scope takes effect within a minute either way.

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
from ..bootstrap import officer_registry, officer_verifier
from ..domain.errors import FieldError, HexwatchError, forbidden
from ..domain.officers import OPERATOR, NotAnOfficer, Officer, Operator, Role, principal_from_entry
from ..observability import logger
from .http import handles_errors, json_response

officer_api = Blueprint(__name__)

GATEWAY_UNAUTHORIZED = "Unauthorized"  # the one failure message API Gateway maps to 401
REALM = 'Bearer realm="hexwatch-officers"'
SIGN_IN_AGAIN = "Sign in again: the officer token is missing, invalid or expired."
AUTHORIZER_CACHE_SECONDS = 60  # API Gateway's cache of an answer per token; the registry's own cache is as long
MAX_TOKEN_CHARACTERS = 8192  # Cognito's tokens are about 1-2 KB; anything far longer is not one of them


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


def principal_context(principal: Officer | Operator) -> dict[str, str]:
    if isinstance(principal, Operator):
        return {"sub": principal.sub, "username": principal.username, "organisation": "", "role": OPERATOR,
                "areas": "", "whole_organisation": "false"}
    return {"sub": principal.sub, "username": principal.username, "organisation": principal.organisation,
            "role": principal.role.group, "areas": ",".join(principal.areas),
            "whole_organisation": "true" if principal.whole_organisation else "false"}


def verified_subject(token: str) -> str:
    """The token's `sub`, or TokenRejected: whatever the token holds, the answer is a refusal, never an error."""
    if len(token) > MAX_TOKEN_CHARACTERS or not token.isascii():
        raise TokenRejected("not a token: too long or not ASCII")
    try:
        claims = officer_verifier().verify(token)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        # A token shaped so oddly that the parser itself trips: still only a refused token.
        raise TokenRejected(f"unreadable: {type(error).__name__}") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("the token names no subject")
    return subject


@officer_api.authorizer(ttl_seconds=AUTHORIZER_CACHE_SECONDS)
def officer_authorizer(auth_request: AuthRequest) -> AuthResponse:
    token = bearer_token(auth_request.token)
    if token is None:
        logger.info("officer token refused", extra={"reason": "no bearer token"})
        raise gateway_refusal()
    try:
        subject = verified_subject(token)
    except TokenRejected as rejected:
        logger.info("officer token refused", extra={"reason": rejected.reason})
        raise gateway_refusal() from None
    registry = officer_registry()
    entry = registry.entry(subject)
    try:
        principal = principal_from_entry(
            entry, bool(entry and entry.organisation and registry.organisation(entry.organisation) is not None))
    except NotAnOfficer as refused:
        logger.info("officer token refused", extra={"reason": str(refused), "sub": subject})
        raise gateway_refusal() from None
    # Every route: API Gateway caches this policy per token for all the authorizer's routes, so a narrower one
    # would refuse the next route with a cached answer. The views decide what the role allows.
    return AuthResponse(routes=["*"], principal_id=subject, context=principal_context(principal))


def current_principal(request: Request) -> Officer | Operator:
    """Who the authorizer let in; a view without the authorizer gets 401, never an anonymous caller."""
    context = (request.context or {}).get("authorizer") or {}
    sub = str(context.get("sub") or "")
    if not sub:
        raise officer_unauthorised()
    username = str(context.get("username") or sub)
    if context.get("role") == OPERATOR:
        return Operator(sub=sub, username=username)
    role = Role.from_group(str(context.get("role", "")))
    if role is None or not context.get("organisation"):
        raise officer_unauthorised()
    areas = tuple(a for a in str(context.get("areas") or "").split(",") if a)
    officer = Officer(sub=sub, username=username, organisation=str(context["organisation"]), role=role,
                      areas=areas, whole_organisation=context.get("whole_organisation") == "true")
    if not officer.has_scope:
        raise officer_unauthorised()
    return officer


def current_officer(request: Request) -> Officer:
    """The officer acting for their force; a platform operator is refused (they send nothing for any force)."""
    principal = current_principal(request)
    if isinstance(principal, Operator):
        raise forbidden("Platform operators do not act for a force: sign in as one of its officers.")
    return principal


def current_operator(request: Request) -> Operator:
    principal = current_principal(request)
    if not isinstance(principal, Operator):
        raise forbidden("Only platform operators can do this.")
    return principal


@officer_api.route("/v1/officer/me", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def signed_in_officer() -> Response:
    principal = current_principal(officer_api.current_request)
    if isinstance(principal, Operator):
        return json_response({"username": principal.username, "organisation": None, "role": OPERATOR, "areas": [],
                              "whole_organisation": False})
    return json_response({"username": principal.username, "organisation": principal.organisation,
                          "role": principal.role.group, "areas": list(principal.areas),
                          "whole_organisation": principal.whole_organisation})
