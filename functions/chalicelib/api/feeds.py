"""Public alerts for anyone, without signing in: the force's Atom feed of CAP 1.2 messages, each CAP message, and the
list the site's public page shows (services/feeds.py). Cached for a minute, like the alert pages."""

from __future__ import annotations

import re

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import feed_service
from ..domain.errors import FieldError, HexwatchError
from .http import handles_errors, json_response

feeds_api = Blueprint(__name__)

ORGANISATION = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CAP_FILE = re.compile(r"^([0-9A-HJKMNP-TV-Z]{26})\.xml$")
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}


def _organisation(value: str) -> str:
    if not ORGANISATION.match(value):
        raise HexwatchError("There is no such organisation.", [FieldError("/organisation", "is not an id")], 404,
                            "NotFound")
    return value


@feeds_api.route("/v1/feeds/{organisation}/alerts.atom", methods=["GET"])
@handles_errors
def alerts_feed(organisation: str) -> Response:
    body = feed_service().atom(_organisation(organisation))
    return Response(body=body.decode("utf-8"), status_code=200,
                    headers={"Content-Type": "application/atom+xml; charset=utf-8", **PUBLIC_CACHE})


@feeds_api.route("/v1/feeds/{organisation}/alerts/{alert_file}", methods=["GET"])
@handles_errors
def alert_cap(organisation: str, alert_file: str) -> Response:
    """`{alert_id}.xml`: one public alert as a CAP 1.2 message."""
    match = CAP_FILE.match(alert_file)
    if not match:
        raise HexwatchError("There is no such public alert.", [FieldError("/alert_id", "is not an id.xml")], 404,
                            "NotFound")
    body = feed_service().cap(_organisation(organisation), match.group(1))
    return Response(body=body.decode("utf-8"), status_code=200,
                    headers={"Content-Type": "application/cap+xml; charset=utf-8", **PUBLIC_CACHE})


@feeds_api.route("/v1/public/organisations", methods=["GET"])
@handles_errors
def public_organisations() -> Response:
    """The forces, for the public page's choice of force."""
    return json_response(feed_service().forces(), headers=PUBLIC_CACHE)


@feeds_api.route("/v1/public/alerts/{organisation}", methods=["GET"])
@handles_errors
def recent_public_alerts(organisation: str) -> Response:
    """The public page's list of recent alerts, optionally for one named area (`?area=`)."""
    request = feeds_api.current_request
    area = dict(request.query_params or {}).get("area")
    if area is not None and not ORGANISATION.match(area):
        raise HexwatchError("There is no such area.", [FieldError("/area", "is not an area id")], 400,
                            "ValidationError")
    return json_response(feed_service().recent(_organisation(organisation), area), headers=PUBLIC_CACHE)
