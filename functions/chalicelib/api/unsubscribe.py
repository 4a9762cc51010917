"""One-click unsubscribe (RFC 8058) and per-category opt-out, from the signed link in every email."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import schemas, services
from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.validation import parse_form, parse_json_object
from .http import JSON_AND_FORM_TYPES, form_error_page, handles_errors, is_form, json_response, raw_body, see_other

unsubscribe_api = Blueprint(__name__)


def _token(document: Mapping[str, Any]) -> str:
    query: Mapping[str, str] = unsubscribe_api.current_request.query_params or {}
    token = document.get("token") or query.get("token")
    if not isinstance(token, str) or not token:
        raise invalid("The unsubscribe link is incomplete.", FieldError("/token", "is required"))
    return token


@unsubscribe_api.route("/v1/unsubscribe", methods=["GET"])
@handles_errors
def unsubscribe_details() -> Response:
    return json_response(services().residents.unsubscribe_details(_token({})))


@unsubscribe_api.route("/v1/unsubscribe", methods=["POST"], content_types=JSON_AND_FORM_TYPES)
@handles_errors
def unsubscribe() -> Response:
    request = unsubscribe_api.current_request
    if is_form(request):
        form = parse_form(raw_body(request))
        from_page = form.pop("from_page", None) is not None
        document: dict[str, Any] = {key: (values if key == "categories" else values[0])
                                    for key, values in form.items()}
        try:
            schemas().validate("unsubscribe", document)
            services().residents.unsubscribe(_token(document), document.get("categories"))
        except HexwatchError as error:
            if from_page:
                return form_error_page(error, "/unsubscribe.html")
            raise
        # Mail clients (one-click) want a plain 200; a person on our page wants the next page.
        return see_other("/unsubscribed.html") if from_page else json_response({"status": "unsubscribed"})
    body: dict[str, Any] = parse_json_object(raw_body(request)) if raw_body(request).strip() else {}
    schemas().validate("unsubscribe", body)
    return json_response(services().residents.unsubscribe(_token(body), body.get("categories")))
