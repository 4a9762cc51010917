"""The force dashboard: `GET /v1/stats` (JSON, or CSV with ?format=csv), for officers and above (services/stats.py)."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import stats_service
from ..domain.errors import FieldError, invalid
from ..services.stats import DEFAULT_WEEKS, MAX_WEEKS, as_csv
from .http import NO_STORE, handles_errors, json_response
from .officers import current_officer, officer_authorizer

stats_api = Blueprint(__name__)


@stats_api.route("/v1/stats", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def read_stats() -> Response:
    request = stats_api.current_request
    params: dict[str, str] = dict(request.query_params or {})
    weeks_text = params.get("weeks", str(DEFAULT_WEEKS))
    if not weeks_text.isdigit():
        raise invalid("That number of weeks is not valid.", FieldError("/weeks", f"must be 1 to {MAX_WEEKS}"))
    output = params.get("format", "json")
    if output not in ("json", "csv"):
        raise invalid("That format is not offered.", FieldError("/format", "must be json or csv"))
    view = stats_service().dashboard(current_officer(request), int(weeks_text))
    if output == "csv":
        return Response(body=as_csv(view), status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8", **NO_STORE,
            "Content-Disposition": f'attachment; filename="hexwatch-{view["organisation"]}-stats.csv"'})
    return json_response(view)
