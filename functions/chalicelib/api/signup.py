"""Signup, verification and sign-in routes. Each validates, calls the resident service, and answers."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import services
from ..domain.errors import HexwatchError
from .http import (
    JSON_AND_FORM_TYPES,
    JSON_TYPES,
    client_ip,
    form_error_page,
    handles_errors,
    is_form,
    json_response,
    see_other,
    validated_form,
    validated_json,
)

signup_api = Blueprint(__name__)


@signup_api.route("/v1/signup", methods=["POST"], content_types=JSON_AND_FORM_TYPES)
@handles_errors
def signup() -> Response:
    request = signup_api.current_request
    if is_form(request):
        # The signup page posts a plain form when JavaScript is off; answer it with pages, not JSON.
        try:
            services().residents.signup(validated_form(request, "signup"), client_ip(request))
        except HexwatchError as error:
            return form_error_page(error, "/")
        return see_other("/signup-sent.html")
    accepted = services().residents.signup(validated_json(request, "signup"), client_ip(request))
    return json_response(accepted, 202)


def _redeem(form_target: str) -> Response:
    request = signup_api.current_request
    if is_form(request):
        try:
            services().residents.redeem(validated_form(request, "verify"), client_ip(request))
        except HexwatchError as error:
            return form_error_page(error, "/signin.html")
        return see_other(form_target)
    return json_response(services().residents.redeem(validated_json(request, "verify"), client_ip(request)))


@signup_api.route("/v1/verify", methods=["POST"], content_types=JSON_AND_FORM_TYPES)
@handles_errors
def verify() -> Response:
    return _redeem("/verified.html")


@signup_api.route("/v1/session", methods=["POST"], content_types=JSON_TYPES)
@handles_errors
def open_session() -> Response:
    return _redeem("/manage.html")


@signup_api.route("/v1/session", methods=["DELETE"])
@handles_errors
def close_session() -> Response:
    """Sign out: this session stops working at once, on the server, not just in the browser."""
    services().residents.sign_out(signup_api.current_request.headers.get("authorization"))
    return Response(body="", status_code=204)


@signup_api.route("/v1/signin", methods=["POST"], content_types=JSON_TYPES)
@handles_errors
def signin() -> Response:
    request = signup_api.current_request
    return json_response(services().residents.start_signin(validated_json(request, "signin"), client_ip(request)),
                         202)
