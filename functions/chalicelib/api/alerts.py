"""The officers' alerts API: thin views over services/alerts.py; every body is checked against schemas/alert.json."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import alert_service
from ..domain.alerts import LONDON, AlertFilters, Status
from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.partners import PARTNER_TYPES
from .http import JSON_TYPES, handles_errors, json_response, validated_json
from .officers import current_officer, officer_authorizer

alerts_api = Blueprint(__name__)

ALERT_BODY_BYTES = 256 * 1024  # a drawn polygon can be detailed; the text fields are short
ULID_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
MAX_PAGE = 100
MERGE_PATCH_TYPES = [*JSON_TYPES, "application/merge-patch+json"]  # RFC 7396's own type, or plain JSON


def _alert_id(value: str, pointer: str = "/id") -> str:
    if not ULID_PATTERN.match(value):
        raise HexwatchError("There is no such alert in your organisation.", [FieldError(pointer, "is not an id")],
                            404, "NotFound")
    return value


@alerts_api.route("/v1/alerts", methods=["POST"], content_types=JSON_TYPES, authorizer=officer_authorizer)
@handles_errors
def create_alert() -> Response:
    request = alerts_api.current_request
    body = validated_json(request, "alert", max_bytes=ALERT_BODY_BYTES)
    return json_response(alert_service().create(current_officer(request), body), 201)


@alerts_api.route("/v1/alerts/preview", methods=["POST"], content_types=JSON_TYPES, authorizer=officer_authorizer)
@handles_errors
def preview_alert() -> Response:
    request = alerts_api.current_request
    body = validated_json(request, "alert", max_bytes=ALERT_BODY_BYTES)
    sender = dict(request.query_params or {}).get("sender")
    if sender is not None:
        # Who a partner of this kind would reach there: only residents who chose to hear from that kind of sender.
        if sender not in PARTNER_TYPES:
            raise invalid("That kind of sender does not exist.",
                          FieldError("/sender", "must be one of: " + ", ".join(PARTNER_TYPES)))
        body["sender_type"] = sender
    status, result = alert_service().preview(current_officer(request), body)
    headers = {"Location": result["poll"]} if status == 202 else None
    return json_response(result, status, headers)


@alerts_api.route("/v1/alerts/preview/{preview_id}", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def read_preview(preview_id: str) -> Response:
    request = alerts_api.current_request
    return json_response(alert_service().get_preview(current_officer(request),
                                                     _alert_id(preview_id, "/preview_id")))


@alerts_api.route("/v1/alerts/{alert_id}", methods=["PATCH"], content_types=MERGE_PATCH_TYPES,
                  authorizer=officer_authorizer)
@handles_errors
def edit_alert(alert_id: str) -> Response:
    """Changes a draft, or an alert waiting for approval or for its time: schemas/alert-edit.json."""
    request = alerts_api.current_request
    body = validated_json(request, "alert-edit", max_bytes=ALERT_BODY_BYTES)
    return json_response(alert_service().edit(current_officer(request), _alert_id(alert_id), body))


@alerts_api.route("/v1/alerts/{alert_id}/send", methods=["POST"], content_types=JSON_TYPES,
                  authorizer=officer_authorizer)
@handles_errors
def send_alert(alert_id: str) -> Response:
    return json_response(alert_service().send(current_officer(alerts_api.current_request), _alert_id(alert_id)))


@alerts_api.route("/v1/alerts/{alert_id}/approve", methods=["POST"], content_types=JSON_TYPES,
                  authorizer=officer_authorizer)
@handles_errors
def approve_alert(alert_id: str) -> Response:
    return json_response(alert_service().approve(current_officer(alerts_api.current_request), _alert_id(alert_id)))


@alerts_api.route("/v1/alerts/{alert_id}/reject", methods=["POST"], content_types=JSON_TYPES,
                  authorizer=officer_authorizer)
@handles_errors
def reject_alert(alert_id: str) -> Response:
    request = alerts_api.current_request
    body = validated_json(request, "alert-reject")
    return json_response(alert_service().reject(current_officer(request), _alert_id(alert_id),
                                                str(body["reason"]).strip()))


@alerts_api.route("/v1/review", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def review_queue() -> Response:
    """The alerts waiting for approval (partners' moderated alerts, volunteers'), newest first."""
    request = alerts_api.current_request
    params: dict[str, str] = dict(request.query_params or {})
    return json_response(alert_service().review(current_officer(request), _page_size(params), params.get("cursor")))


@alerts_api.route("/v1/alerts/{alert_id}/cancel", methods=["POST"], content_types=JSON_TYPES,
                  authorizer=officer_authorizer)
@handles_errors
def cancel_alert(alert_id: str) -> Response:
    return json_response(alert_service().cancel(current_officer(alerts_api.current_request), _alert_id(alert_id)))


@alerts_api.route("/v1/alerts/{alert_id}", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def read_alert(alert_id: str) -> Response:
    return json_response(alert_service().read(current_officer(alerts_api.current_request), _alert_id(alert_id)))


@alerts_api.route("/v1/alerts", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def list_alerts() -> Response:
    request = alerts_api.current_request
    params: dict[str, str] = dict(request.query_params or {})
    status = params.get("status")
    if status is not None and status not in {s.value for s in Status}:
        raise invalid("That status does not exist.", FieldError("/status", "must be one of: " +
                                                               ", ".join(s.value for s in Status)))
    return json_response(alert_service().page(current_officer(request), _page_size(params), params.get("cursor"),
                                              status, _filters(params)))


AREA_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
AUTHOR = re.compile(r"^(me|[0-9a-f-]{36}|partner:[a-z0-9][a-z0-9-]{0,62})$")


def _filters(params: dict[str, str]) -> AlertFilters:
    """?author=me|<sub>, ?area=<area id>, ?from=YYYY-MM-DD&to=YYYY-MM-DD (UK dates, both included)."""
    author, area = params.get("author"), params.get("area")
    if author is not None and not AUTHOR.match(author):
        raise invalid("That author is not valid.", FieldError("/author", "must be me, an officer's id or partner:<id>"))
    if area is not None and not AREA_ID.match(area):
        raise invalid("That area is not valid.", FieldError("/area", "must be an area id"))
    created = None
    if "from" in params or "to" in params:
        start = _uk_day(params.get("from") or "2020-01-01", "/from")
        end = _uk_day(params.get("to") or "2100-01-01", "/to") + timedelta(days=1)
        if end <= start:
            raise invalid("The dates are the wrong way round.", FieldError("/to", "must not be before from"))
        created = (start.timestamp(), end.timestamp() - 0.001)
    return AlertFilters(author=author, area=area, created=created)


def _uk_day(text: str, pointer: str) -> datetime:
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise invalid("That date is not valid.", FieldError(pointer, "must be a date as YYYY-MM-DD"))
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON)


def _page_size(params: dict[str, str]) -> int:
    limit_text = params.get("limit", "25")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE:
        raise invalid("The page size is not valid.", FieldError("/limit", f"must be a whole number from 1 to "
                                                                          f"{MAX_PAGE}"))
    return int(limit_text)


@alerts_api.route("/v1/public/alerts/{organisation}/{alert_id}/event.ics", methods=["GET"])
@handles_errors
def read_public_event(organisation: str, alert_id: str) -> Response:
    """No sign-in: the add-to-calendar link of an event alert (its email carries the same file)."""
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", organisation):
        raise HexwatchError("There is no such alert.", [FieldError("/organisation", "is not an organisation")], 404,
                            "NotFound")
    body = alert_service().public_event(organisation, _alert_id(alert_id))
    return Response(body=body.decode("utf-8"), status_code=200,
                    headers={"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "public, max-age=60",
                             "Content-Disposition": 'attachment; filename="event.ics"'})


@alerts_api.route("/v1/public/alerts/{organisation}/{alert_id}", methods=["GET"])
@handles_errors
def read_public_alert(organisation: str, alert_id: str) -> Response:
    """No sign-in: the page a shortened SMS or a push notification links to."""
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", organisation):
        raise HexwatchError("There is no such alert.", [FieldError("/organisation", "is not an organisation")], 404,
                            "NotFound")
    return json_response(alert_service().public(organisation, _alert_id(alert_id)),
                         headers={"Cache-Control": "public, max-age=60"})
