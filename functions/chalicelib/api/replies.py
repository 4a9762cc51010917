"""The officers' replies API: thin views over services/replies.py."""

from __future__ import annotations

import re

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import reply_service
from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.replies import ReplyState
from .alerts import MAX_PAGE, ULID_PATTERN, _alert_id
from .http import JSON_TYPES, handles_errors, json_response, validated_json
from .officers import current_officer, officer_authorizer

replies_api = Blueprint(__name__)

AREA_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _reply_id(value: str) -> str:
    if not ULID_PATTERN.match(value):
        raise HexwatchError("There is no such reply in your organisation.",
                            [FieldError("/reply_id", "is not an id")], 404, "NotFound")
    return value


def _page() -> tuple[int, str | None, dict[str, str]]:
    params: dict[str, str] = dict(replies_api.current_request.query_params or {})
    limit_text = params.get("limit", "25")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE:
        raise invalid("The page size is not valid.",
                      FieldError("/limit", f"must be a whole number from 1 to {MAX_PAGE}"))
    cursor = params.get("cursor")
    if cursor is not None and len(cursor) > 2048:
        raise invalid("That page cursor is not valid.", FieldError("/cursor", "is not a cursor from this list"))
    return int(limit_text), cursor, params


@replies_api.route("/v1/alerts/{alert_id}/replies", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def alert_replies(alert_id: str) -> Response:
    limit, cursor, _ = _page()
    return json_response(reply_service().for_alert(current_officer(replies_api.current_request),
                                                   _alert_id(alert_id), limit, cursor))


@replies_api.route("/v1/inbox", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def inbox() -> Response:
    limit, cursor, params = _page()
    officer = current_officer(replies_api.current_request)
    if "alert" in params:
        return json_response(reply_service().for_alert(officer, _alert_id(params["alert"], "/alert"), limit,
                                                       cursor))
    state = params.get("state")
    if state is not None and state not in [s.value for s in ReplyState]:
        raise invalid("That state is not one a reply can be in.",
                      FieldError("/state", "must be unread, handled or abusive"))
    area = params.get("area")
    if area is not None and not AREA_ID.match(area):
        raise invalid("That area id is not valid.", FieldError("/area", "is not an area id"))
    return json_response(reply_service().inbox(officer, limit, cursor, ReplyState(state) if state else None, area))


@replies_api.route("/v1/replies/{reply_id}/mark", methods=["POST"], content_types=JSON_TYPES,
                   authorizer=officer_authorizer)
@handles_errors
def mark_reply(reply_id: str) -> Response:
    request = replies_api.current_request
    body = validated_json(request, "reply-mark", max_bytes=1024)
    return json_response(reply_service().mark(current_officer(request), _reply_id(reply_id),
                                               ReplyState(body["state"])))


@replies_api.route("/v1/replies/{reply_id}/respond", methods=["POST"], content_types=JSON_TYPES,
                   authorizer=officer_authorizer)
@handles_errors
def respond_to_reply(reply_id: str) -> Response:
    request = replies_api.current_request
    body = validated_json(request, "reply-respond", max_bytes=8 * 1024)
    return json_response(reply_service().respond(current_officer(request), _reply_id(reply_id), body["text"]))


@replies_api.route("/v1/replies/{reply_id}/attachments/{index}", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def reply_attachment(reply_id: str, index: str) -> Response:
    if not index.isdigit() or len(index) > 2:
        raise HexwatchError("There is no such attachment.", [FieldError("/index", "is not a number")], 404,
                            "NotFound")
    return json_response(reply_service().attachment(current_officer(replies_api.current_request),
                                                    _reply_id(reply_id), int(index)))
