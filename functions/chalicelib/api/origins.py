"""One http middleware that refuses browser requests from other sites to the resident endpoints, with 403.

Open to any origin: the officers' API (every route with an authorizer: a bearer token a page on another site cannot
read), `POST /v1/unsubscribe` (RFC 8058 one-click from mail clients, protected by its signed token) and the read-only
public data. Every other route under /v1/ is a resident endpoint, including any added later.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import Chalice
from chalice.app import Request, Response

from ..bootstrap import site_origins
from ..domain.errors import FieldError, forbidden
from ..observability import logger
from .http import error_response

OPEN_ROUTES = {("POST", "/v1/unsubscribe"), ("GET", "/v1/reference")}
OPEN_PREFIXES = ("/v1/public/", "/v1/feeds/")


def _is_resident_endpoint(app: Chalice, request: Request) -> bool:
    path = request.path  # the route's pattern, e.g. /v1/alerts/{alert_id}
    if not path.startswith("/v1/") or path.startswith(OPEN_PREFIXES) or (request.method, path) in OPEN_ROUTES:
        return False
    route = app.routes.get(path, {}).get(request.method)
    return route is None or route.authorizer is None


def register_cross_site_guard(app: Chalice) -> None:
    @app.middleware("http")
    def refuse_cross_site_requests(request: Request, get_response: Callable[[Request], Response]) -> Response:
        if _is_resident_endpoint(app, request):
            header = site_origins().refusal(request.headers.get("sec-fetch-site"), request.headers.get("origin"))
            if header is not None:
                logger.info("cross-site request refused", extra={"header": header})
                return error_response(forbidden(
                    "This request came from another website. Please use the community alerts site itself.",
                    FieldError("", "cross-site requests are refused")))
        return get_response(request)
