"""Survey answers (table `<prefix>-survey-answers`, SurveyAnswerModel): one item per resident per alert, so a later
answer overwrites the earlier one and never adds a second."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from .models import SurveyAnswerModel


@dataclass(frozen=True)
class SurveyAnswer:
    alert_id: str
    resident_id: str
    organisation: str
    option: int | None
    text: str | None
    channel: str
    area: str | None
    answered_at: str


class SurveyAnswers:
    def put(self, answer: SurveyAnswer, expires_at: int) -> bool:
        """Stores the answer; True when it replaced an earlier answer of this resident."""
        try:
            SurveyAnswerModel.get(answer.alert_id, answer.resident_id, consistent_read=True,
                                  attributes_to_get=["resident_id"])
            replaced = True
        except DoesNotExist:
            replaced = False
        SurveyAnswerModel(answer.alert_id, answer.resident_id, organisation=answer.organisation,
                          option=answer.option, text=answer.text, channel=answer.channel, area=answer.area,
                          answered_at=answer.answered_at, expires_at=expires_at).save()
        return replaced

    def get(self, alert_id: str, resident_id: str) -> SurveyAnswer | None:
        try:
            item = SurveyAnswerModel.get(alert_id, resident_id, consistent_read=True)
        except DoesNotExist:
            return None
        return _answer(item)

    def count_for(self, alert_id: str) -> int:
        """How many residents answered this alert's survey (one Query that returns a count)."""
        return int(SurveyAnswerModel.count(alert_id))

    def for_alert(self, alert_id: str) -> Iterator[SurveyAnswer]:
        for item in SurveyAnswerModel.query(alert_id):
            yield _answer(item)

    def forget_resident(self, resident_id: str) -> int:
        """Erasure: a resident's answers are deleted (counts drop by theirs)."""
        removed = 0
        for item in list(SurveyAnswerModel.by_resident.query(resident_id)):
            SurveyAnswerModel(item.alert_id, item.resident_id).delete()
            removed += 1
        return removed


def _answer(item: SurveyAnswerModel) -> SurveyAnswer:
    return SurveyAnswer(item.alert_id, item.resident_id, item.organisation,
                        int(item.option) if item.option is not None else None, item.text, item.channel, item.area,
                        item.answered_at)
