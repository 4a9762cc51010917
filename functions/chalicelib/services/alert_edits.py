"""An officer changes an alert before it goes: PATCH /v1/alerts/{id} (domain/alert_edits.py holds the rules).

The edited alert is checked in full again (schema, times, target within the editor's areas, every rendering within
its limits) and written with the alert's version, so an edit that races the schedule's release, an approval or a
cancel is answered 409 and changes nothing. Each edit is audited with the fields it changed. A scheduled alert that
an edit brings forward within SQS's delay gets its release job here; one still later is released by the schedule, and
a release job queued for the old time finds the new one and waits or stops (services/pipeline/plan.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from ..domain import alert_edits
from ..domain import alerts as alert_rules
from ..domain.alerts import Alert, utc_text
from ..domain.officers import Officer
from ..domain.progress import Progress
from .targets import TargetResolver


class EditStore(Protocol):
    def get(self, organisation: str, alert_id: str) -> tuple[Alert, Any] | None: ...
    def save(self, alert: Alert, item: Any, at: str) -> None: ...
    def record_action(self, alert: Alert, action: str, actor: str, actor_role: str, at: str,
                      audience: int | None = None, detail: str | None = None) -> None: ...


class Targeting(Protocol):
    def targeting(self, alert_id: str) -> dict[str, Any]: ...


class AlertEdits:
    def __init__(self, *, store: EditStore, resolver: TargetResolver, ledger: Targeting,
                 validate: Callable[[str, dict[str, Any]], dict[str, Any]], check_words: Callable[[Alert], None],
                 queue_plan: Callable[[Alert, datetime], None], clock: Callable[[], float],
                 not_found: Callable[[str], Exception]) -> None:
        self._store = store
        self._resolver = resolver
        self._ledger = ledger
        self._validate = validate
        self._check_words = check_words
        self._queue_plan = queue_plan
        self._clock = clock
        self._not_found = not_found

    def edit(self, officer: Officer, alert_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        found = self._store.get(officer.organisation, alert_id)
        if found is None:
            raise self._not_found(alert_id)
        alert, item = found
        reach = self._resolver.reach(officer)
        reach.check(alert.target)  # an area-limited officer changes only alerts aimed inside their areas
        now = datetime.fromtimestamp(self._clock(), UTC)
        counted = Progress.from_item(self._ledger.targeting(alert.id)).planned
        alert_edits.check_may_edit(officer, alert, now, counted)
        merged = self._validate("alert", alert_edits.merge(alert, patch))
        edited = alert_edits.rebuild(alert, merged, now)
        changed = alert_edits.changed_fields(alert, edited)
        if not changed:
            return alert_rules.view(alert)
        self._resolver.resolve(officer, edited.target)  # the new target within the editor's areas
        self._check_words(edited)
        if edited.status is not alert_rules.Status.DRAFT:
            # What the worker may reach: the editor's areas, and never more than was frozen when it was sent.
            edited.frozen_scope = reach.freeze(edited.target, alert.frozen_scope)
        alert_edits.settle(officer, edited, now)
        self._store.save(edited, item, utc_text(now))
        self._store.record_action(edited, "edit", officer.sub, officer.role.group, utc_text(now),
                                  detail=alert_edits.describe(alert, edited, changed))
        self._queue_plan(edited, now)
        return alert_rules.view(edited)
