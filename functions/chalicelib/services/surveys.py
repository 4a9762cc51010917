"""Surveys (domain/surveys.py): residents answer on the web page their email links to, or by texting the option's
number; the officer reads the counts.

The survey link's token names the resident, the alert, its organisation and the contact the email reached; it expires
with the alert's reply window. An answer is kept only while the resident exists and the ledger says the alert reached
them. A resident's answer is placed in the first of the alert's named areas that holds one of their places, for the
breakdown; an alert aimed at a drawn shape or the whole force has one row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..adapters.survey_answers import SurveyAnswer
from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.officers import Officer
from ..domain.replies import REPLY_RETENTION_SECONDS
from ..domain.surveys import SURVEY_LINK, WHOLE_TARGET, answer_text, breakdown, options_of
from ..domain.tokens import TokenSigner
from .replies import Limiter, readable_alert
from .web_replies import link_claims, link_refused


def no_survey() -> HexwatchError:
    return HexwatchError("This alert has no survey.", [FieldError("/survey", "none")], 404, "NotFound")


class SurveyService:
    def __init__(self, *, signer: TokenSigner, ledger: Any, residents: Any, answers: Any, alerts: Any,
                 resolver: Any, limiter: Limiter, sender_name: Callable[[str], str],
                 clock: Callable[[], float]) -> None:
        self._signer = signer
        self._ledger = ledger
        self._residents = residents
        self._answers = answers
        self._alerts = alerts
        self._resolver = resolver
        self._limiter = limiter
        self._sender_name = sender_name
        self._clock = clock

    # --- residents -------------------------------------------------------------------------------------------------

    def _claims(self, token: object) -> dict[str, Any]:
        return link_claims(self._signer, token, SURVEY_LINK, "survey")

    def _alert(self, organisation: str, alert_id: str) -> Any:
        found = self._alerts.get(organisation, alert_id)
        if found is None:
            raise link_refused("gone", "survey")
        if not found[0].survey:
            raise no_survey()
        return found[0]

    def page(self, token: object) -> dict[str, Any]:
        claims = self._claims(token)
        alert = self._alert(claims["o"], claims["a"])
        mine = self._answers.get(claims["a"], claims["sub"])
        content = next(iter(alert.content.values()))
        return {"from": self._sender_name(claims["o"]), "title": content.title, "incident_ref": alert.incident_ref,
                "question": alert.survey["question"], "options": options_of(alert.survey),
                "free_text": bool(alert.survey.get("free_text")),
                "answer": {"option": mine.option, "text": mine.text, "answered_at": mine.answered_at} if mine else None}

    def answer_on_web(self, token: object, option: int | None, text: str | None) -> dict[str, Any]:
        claims = self._claims(token)
        self._limiter.check("reply.link", f"{claims['sub']}:{claims['a']}:survey")
        alert = self._alert(claims["o"], claims["a"])
        resident = self._residents.get(claims["sub"])
        if resident is None or self._ledger.reached_by_contact(claims["ch"], claims["a"], "email") != claims["sub"]:
            raise link_refused("gone", "survey")
        return self._record(alert, resident, option, text, "web")

    def answer_by_sms(self, organisation: str, alert_id: str, resident_id: str, option: int) -> str:
        """A text of an option's number, matched to the newest alert that reached the number; "" when that alert
        asks nothing this answers (the text is then a reply)."""
        found = self._alerts.get(organisation, alert_id)
        resident = self._residents.get(resident_id)
        if found is None or resident is None or not 1 <= option <= len(options_of(found[0].survey)):
            return ""
        replaced = self._record(found[0], resident, option, None, "sms")["replaced"]
        return "answer-replaced" if replaced else "answer-recorded"

    def _record(self, alert: Any, resident: Any, option: int | None, text: str | None,
                channel: str) -> dict[str, Any]:
        try:
            option, text = answer_text(alert.survey, option, text)
        except ValueError as error:
            pointer = "/option" if options_of(alert.survey) else "/text"
            raise invalid("That is not an answer to this survey.", FieldError(pointer, str(error))) from None
        area = None
        if alert.target.get("type") == "areas":
            area = self._resolver.area_containing(alert.source.organisation, list(alert.target["area_ids"]),
                                                  [(place.lat, place.lng) for place in resident.locations])
        now = self._clock()
        answered_at = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        replaced = self._answers.put(SurveyAnswer(alert.id, resident.id, alert.source.organisation, option, text,
                                                  channel, area, answered_at), int(now) + REPLY_RETENTION_SECONDS)
        return {"status": "recorded", "replaced": replaced, "answered_at": answered_at}

    # --- officers ----------------------------------------------------------------------------------------------------

    def results(self, officer: Officer, alert_id: str) -> dict[str, Any]:
        alert = readable_alert(self._alerts, self._resolver, officer, alert_id)
        if not alert.survey:
            raise no_survey()
        options = options_of(alert.survey)
        columns = options or ["answered"]
        area_ids = list(alert.target.get("area_ids") or []) if alert.target.get("type") == "areas" else []
        names = self._resolver.area_names(officer.organisation, area_ids)
        rows = [names.get(a, a) for a in area_ids] or [WHOLE_TARGET]
        pairs, texts = [], []
        for answer in self._answers.for_alert(alert.id):
            row = names.get(answer.area or "", answer.area or "") if area_ids else WHOLE_TARGET
            pairs.append((row or "outside the named areas", options[answer.option - 1] if options and answer.option
                          else "answered"))
            if answer.text:
                texts.append(answer.text)
        shown = {"question": alert.survey["question"], "options": options, "breakdown": breakdown(pairs, columns, rows)}
        if not options:
            shown["answers"] = sorted(texts)  # the words alone: not who wrote them, nor where they live
        return shown
