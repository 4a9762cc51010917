"""Residents' replies on the web, from the signed link in an alert email (services/web_replies.py). No sign-in: the
link is the resident's credential for this one alert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import schemas, web_replies
from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.validation import parse_form, parse_json_object
from .http import JSON_AND_FORM_TYPES, form_error_page, handles_errors, is_form, json_response, raw_body, see_other

web_replies_api = Blueprint(__name__)

REPLY_BODY_BYTES = 32 * 1024


@web_replies_api.route("/v1/replies/page", methods=["GET"])
@handles_errors
def reply_page() -> Response:
    query: Mapping[str, str] = web_replies_api.current_request.query_params or {}
    token = query.get("token")
    if not token:
        raise invalid("The reply link is incomplete.", FieldError("/token", "is required"))
    return json_response(web_replies().page(token))


@web_replies_api.route("/v1/replies", methods=["POST"], content_types=JSON_AND_FORM_TYPES)
@handles_errors
def send_reply() -> Response:
    request = web_replies_api.current_request
    body = raw_body(request)
    if len(body) > REPLY_BODY_BYTES:
        raise HexwatchError("The reply is too long.", [FieldError("/text", "is too long")], 413, "PayloadTooLarge")
    if is_form(request):
        form = parse_form(body)
        from_page = form.pop("from_page", None) is not None
        document: dict[str, Any] = {key: values[0] for key, values in form.items()}
        try:
            schemas().validate("web-reply", document)
            web_replies().submit(document["token"], document["text"])
        except HexwatchError as error:
            if from_page:
                return form_error_page(error, "/reply.html")
            raise
        return see_other("/reply.html?sent=1") if from_page else json_response({"status": "received"}, 201)
    document = schemas().validate("web-reply", parse_json_object(body, max_bytes=REPLY_BODY_BYTES))
    return json_response(web_replies().submit(document["token"], document["text"]), 201)
