"""Surveys: the page a resident's survey link opens (no sign-in: the link is their credential for this one alert),
their answer, and the officers' counts (services/surveys.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice import Blueprint
from chalice.app import Response

from ..bootstrap import schemas, survey_service
from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.validation import parse_form, parse_json_object
from .alerts import _alert_id
from .http import JSON_AND_FORM_TYPES, form_error_page, handles_errors, is_form, json_response, raw_body, see_other
from .officers import current_officer, officer_authorizer

surveys_api = Blueprint(__name__)

ANSWER_BODY_BYTES = 8 * 1024


@surveys_api.route("/v1/surveys/page", methods=["GET"])
@handles_errors
def survey_page() -> Response:
    query: Mapping[str, str] = surveys_api.current_request.query_params or {}
    if not query.get("token"):
        raise invalid("The survey link is incomplete.", FieldError("/token", "is required"))
    return json_response(survey_service().page(query["token"]))


@surveys_api.route("/v1/surveys/answer", methods=["POST"], content_types=JSON_AND_FORM_TYPES)
@handles_errors
def answer_survey() -> Response:
    request = surveys_api.current_request
    if is_form(request):
        form = parse_form(raw_body(request))
        from_page = form.pop("from_page", None) is not None
        document: dict[str, Any] = {key: values[0] for key, values in form.items()}
        if isinstance(document.get("option"), str) and document["option"].isdigit():
            document["option"] = int(document["option"])
        try:
            schemas().validate("survey-answer", document)
            survey_service().answer_on_web(document["token"], document.get("option"), document.get("text"))
        except HexwatchError as error:
            if from_page:
                return form_error_page(error, "/survey.html")
            raise
        return see_other("/survey.html?answered=1") if from_page else json_response({"status": "recorded"})
    document = schemas().validate("survey-answer", parse_json_object(raw_body(request), max_bytes=ANSWER_BODY_BYTES))
    return json_response(survey_service().answer_on_web(document["token"], document.get("option"),
                                                        document.get("text")))


@surveys_api.route("/v1/alerts/{alert_id}/survey", methods=["GET"], authorizer=officer_authorizer)
@handles_errors
def survey_results(alert_id: str) -> Response:
    return json_response(survey_service().results(current_officer(surveys_api.current_request),
                                                  _alert_id(alert_id)))
