"""Previews: how many residents an alert would reach, on which channels and in which languages, and what it would cost,
before anything is sent. Counted within the request when that is quick (200), else by the targeting worker in bounded
pieces (services/pipeline/preview.py: 202 and a preview id to poll). Split from services/alerts.py, which hands its
preview use cases here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..adapters.alerts_store import PreviewStore
from ..domain import alerts as alert_rules
from ..domain.alerts import Alert, Source, utc_text
from ..domain.audience import Audience, Filters
from ..domain.coverage import Target
from ..domain.errors import FieldError, HexwatchError
from ..domain.officers import Officer
from ..domain.previews import COUNTING, preview_result
from ..domain.translation import same_language
from .targeting import LocationFinder, TargetingStats
from .targets import TargetResolver, footage_centre

if TYPE_CHECKING:
    from .alerts import AlertSettings

PREVIEW_TTL_SECONDS = 24 * 3600


SLOW_PREVIEW_RULE = "preview.officer"  # services/resident_common.py: DEFAULT_RATE_LIMITS


class Limiter(Protocol):
    def check(self, rule: str, subject: str) -> None: ...


class JobQueue(Protocol):
    def put(self, job: dict[str, Any], delay_seconds: int = 0) -> None: ...


def draft_alert(officer: Officer, body: dict[str, Any], alert_id: str, now: datetime) -> Alert:
    """An officer's alert as it would be created, checked against the alert rules."""
    return alert_rules.new_alert(alert_id, body, Source("officer", officer.organisation, officer.sub), now)


class OverBudget(Exception):
    """Counting did not finish within the request's time budget."""


def count_audience(finder: LocationFinder, target: Target, filters: Filters, deadline: float | None,
                   clock: Callable[[], float] = time.monotonic) -> tuple[Audience, TargetingStats]:
    """Who an alert would reach (before suppression), giving up with OverBudget past the deadline."""
    audience, stats = Audience(), TargetingStats()
    for index, item in enumerate(finder.inside(target, stats)):
        audience.add_location(filters, item.attribute_values)
        if deadline is not None and index % 200 == 0 and clock() > deadline:
            raise OverBudget
    if deadline is not None and clock() > deadline:
        raise OverBudget
    return audience, stats


PREVIEW_LANGUAGES = 5  # translations shown in a preview, the largest languages first; all are made at send


class PreviewTranslations(Protocol):
    def preview(self, alert: Alert, languages: list[str], limit: int = 10) -> dict[str, Any]: ...


class AlertPreviews:
    def __init__(self, *, previews: PreviewStore, resolver: TargetResolver, finder: LocationFinder, jobs: JobQueue,
                 settings: AlertSettings, clock: Callable[[], float], new_id: Callable[[], str],
                 limiter: Limiter, translations: PreviewTranslations | None = None) -> None:
        self._translations = translations
        self._previews = previews
        self._limiter = limiter
        self._resolver = resolver
        self._finder = finder
        self._jobs = jobs
        self._settings = settings
        self._clock = clock
        self._new_id = new_id

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _draft(self, officer: Officer, body: dict[str, Any], alert_id: str) -> Alert:
        return draft_alert(officer, body, alert_id, self._now())

    def preview(self, officer: Officer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """200 with the counts when they finish within the budget; else 202 and a preview id to poll."""
        alert = self._draft(officer, body, "0" * 26)
        target = self._resolver.resolve(officer, alert.target)
        filters = Filters.of(body, footage_centre(target))
        deadline = time.monotonic() + self._settings.preview_budget_seconds
        try:
            audience, _ = count_audience(self._finder, target, filters, deadline)
        except OverBudget:
            # Handed to the worker, a preview may read every location of the force, however often it is asked for:
            # a limit per officer (429 past it) bounds what one account, or a stolen one, can make the force pay.
            self._limiter.check(SLOW_PREVIEW_RULE, officer.sub)
            preview_id = self._new_id()
            self._previews.create(preview_id, officer.organisation, officer.sub, body, utc_text(self._now()),
                                  int(self._clock()) + PREVIEW_TTL_SECONDS)
            self._jobs.put({"type": "preview", "preview_id": preview_id})
            return 202, {"preview_id": preview_id, "status": "counting",
                         "poll": f"/v1/alerts/preview/{preview_id}"}
        shown = {"status": "done", **preview_result(alert, audience.counts(), self._settings)}
        self._translate(alert, shown)
        if body.get("sender_type"):
            shown["sender"] = body["sender_type"]  # counted as a partner of this kind would reach
        return 200, shown

    def _translate(self, alert: Alert, shown: dict[str, Any]) -> None:
        """What residents of each language in the audience would read (the largest languages first): a machine
        translation, the officer's own, or the original with a note when none can be had."""
        if self._translations is None:
            return
        counts = shown.get("by_language") or {}
        written = next(iter(alert.content))
        languages = sorted((language for language in counts if not same_language(language, written)),
                           key=lambda language: -counts[language] if isinstance(counts[language], int) else 0)
        if languages:
            shown["translations"] = self._translations.preview(alert, languages, PREVIEW_LANGUAGES)

    def get_preview(self, officer: Officer, preview_id: str) -> dict[str, Any]:
        item = self._previews.get(preview_id)
        # The requester's own, or any of the force's for a whole-force officer: an area-limited officer must not read
        # counts for targets beyond their areas.
        mine = item is not None and (item.requested_by == officer.sub or officer.whole_organisation)
        if item is None or item.organisation != officer.organisation or not mine:
            raise HexwatchError("There is no such preview.", [FieldError("/preview_id", "not found")], 404,
                                "NotFound")
        result = json.loads(item.result) if item.result else {}
        shown: dict[str, Any] = {"preview_id": preview_id, "status": item.status, **result}
        if item.status == "done":
            self._translate(self._draft(officer, json.loads(item.request), "0" * 26), shown)
        if item.status == COUNTING and item.pieces_open is not None:
            # How far the worker has gone: pieces counted, and pieces counting or queued (a piece that stops early
            # opens its continuation, so the second number can grow before it falls to nothing).
            shown["progress"] = {"pieces_counted": len(item.done_pieces or ()), "pieces_open": int(item.pieces_open)}
        return shown
