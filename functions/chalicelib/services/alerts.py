"""Officers' alerts: create, preview, send, approve, cancel, read and list. Targeting and delivery run in workers.

Every create, send, approve and cancel is written to the audit log. A send never targets inside the request: it
moves the alert on and queues a plan job for the targeting worker (services/pipeline/).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ulid import ULID

from ..adapters.alerts_store import AlertStore, PreviewStore
from ..adapters.ledger import DeliveryLedger
from ..domain import alerts as alert_rules
from ..domain.alert_messages import AlertLinks, contact_lines
from ..domain.alerts import Alert, AlertFilters, Status, utc_text
from ..domain.costs import SendLimits
from ..domain.errors import FieldError, HexwatchError, forbidden
from ..domain.events import ics
from ..domain.jobs import MAX_SQS_DELAY_SECONDS, PlanJob
from ..domain.officers import Officer, Role, can_approve
from ..domain.progress import Progress, audience_view, progress_view
from .alert_edits import AlertEdits
from .alert_previews import AlertPreviews, JobQueue, Limiter, PreviewTranslations, draft_alert
from .alert_rendering import check_renderings
from .targeting import LocationFinder
from .targets import TargetResolver

PAGE_LIMIT_DEFAULT = 25


@dataclass(frozen=True)
class AlertSettings:
    limits: SendLimits
    links: AlertLinks
    organisation_names: dict[str, str]
    sms_max_segments: int = 3
    preview_budget_seconds: float = 2.0
    sms_opt_out_words: bool = False  # alert SMS go from a two-way number, which answers STOP and START
    two_way_number: str = ""  # that number, for a call to say where to text a survey's answer

    def sender_name(self, organisation: str) -> str:
        return self.organisation_names.get(organisation) or organisation.replace("-", " ").title() + " Police"

    def sender_of(self, alert: Alert) -> str:
        """Who residents are told an alert is from: the force, or a partner through the force that registered it."""
        force = self.sender_name(alert.source.organisation)
        return f"{alert.source.partner_name} via {force}" if alert.source.partner_name else force


def _public_event(event: dict[str, Any] | None) -> dict[str, Any] | None:
    if not event:
        return None
    return {"title": event["title"], "place": event["place"], "description": event.get("description"),
            "start_local": alert_rules.london_text(alert_rules.parse_time(event["start"], "/event/start")),
            "end_local": alert_rules.london_text(alert_rules.parse_time(event["end"], "/event/end"))}


def not_found(alert_id: str) -> HexwatchError:
    return HexwatchError("There is no such alert in your organisation.", [FieldError("/id", "not found")], 404,
                         "NotFound")


class AlertEvents(Protocol):
    """What partners' webhooks hear of (services/webhooks.py)."""

    def moderated(self, alert: Alert) -> None: ...
    def cancelled(self, alert: Alert, was: Status) -> None: ...


class AlertService:
    def __init__(self, *, store: AlertStore, previews: PreviewStore, resolver: TargetResolver,
                 finder: LocationFinder, ledger: DeliveryLedger, jobs: JobQueue, settings: AlertSettings,
                 limiter: Limiter, clock: Callable[[], float] = time.time,
                 validate: Callable[[str, dict[str, Any]], dict[str, Any]],
                 new_id: Callable[[], str] = lambda: str(ULID()), events: AlertEvents | None = None,
                 translations: PreviewTranslations | None = None) -> None:
        self._events = events
        self._store = store
        self._previews = previews
        self._resolver = resolver
        self._finder = finder
        self._ledger = ledger
        self._jobs = jobs
        self._settings = settings
        self._clock = clock
        self._new_id = new_id
        self._edits = AlertEdits(
            store=store, resolver=resolver, ledger=ledger, validate=validate, not_found=not_found, clock=clock,
            check_words=lambda alert: check_renderings(alert, settings.sender_of(alert), settings.links,
                                                       settings.sms_max_segments),
            queue_plan=lambda alert, now: queue_plan(jobs, alert, now))
        self._previews_service = AlertPreviews(previews=previews, resolver=resolver, finder=finder, jobs=jobs,
                                               settings=settings, clock=clock, new_id=new_id, limiter=limiter,
                                               translations=translations)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _audit(self, officer: Officer | None, alert: Alert, action: str, audience: int | None = None,
               detail: str | None = None) -> None:
        self._store.record_action(alert, action, officer.sub if officer else "system",
                                  officer.role.group if officer else "system", utc_text(self._now()), audience, detail)

    def _draft(self, officer: Officer, body: dict[str, Any], alert_id: str) -> Alert:
        return draft_alert(officer, body, alert_id, self._now())

    # --- API use cases ---------------------------------------------------------------------------------------------

    def create(self, officer: Officer, body: dict[str, Any]) -> dict[str, Any]:
        alert = self._draft(officer, body, self._new_id())
        self._resolver.resolve(officer, alert.target)
        check_renderings(alert, self._settings.sender_of(alert), self._settings.links,
                         self._settings.sms_max_segments)
        self._store.create(alert, officer.sub)
        self._audit(officer, alert, "create")
        return alert_rules.view(alert)

    def preview(self, officer: Officer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._previews_service.preview(officer, body)

    def get_preview(self, officer: Officer, preview_id: str) -> dict[str, Any]:
        return self._previews_service.get_preview(officer, preview_id)

    def edit(self, officer: Officer, alert_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Changes a draft, or an alert waiting for approval or its time (services/alert_edits.py)."""
        return self._edits.edit(officer, alert_id, patch)

    def _load(self, officer: Officer, alert_id: str) -> tuple[Alert, Any]:
        found = self._store.get(officer.organisation, alert_id)
        if found is None:
            raise not_found(alert_id)
        return found

    def send(self, officer: Officer, alert_id: str) -> dict[str, Any]:
        alert, item = self._load(officer, alert_id)
        if alert.status is not Status.DRAFT:
            raise HexwatchError(f"This alert is {alert.status.value} already.",
                                [FieldError("/status", f"is {alert.status.value}, not draft")], 409, "Conflict")
        if officer.role < Role.OFFICER and alert.source.user != officer.sub:
            raise forbidden("Volunteers can send only alerts they wrote.")
        # The officer's areas may have changed since the draft: checked again, and what they reach now is frozen.
        _, alert.frozen_scope = self._resolver.resolve_and_freeze(officer, alert.target)
        now = self._now()
        next_status = alert_rules.status_when_sent(officer, alert, False, now)
        alert.sent_by, alert.sent_by_role = officer.sub, officer.role.group
        alert.move(next_status, officer.sub, now)
        self._store.save(alert, item, utc_text(now))
        self._audit(officer, alert, "send")
        self._queue_plan(alert, now)
        return alert_rules.view(alert)

    def approve(self, officer: Officer, alert_id: str) -> dict[str, Any]:
        alert, item = self._load(officer, alert_id)
        if alert.status is not Status.PENDING_APPROVAL:
            raise HexwatchError("Only an alert waiting for approval can be approved.",
                                [FieldError("/status", f"is {alert.status.value}, not pending_approval")], 409,
                                "Conflict")
        reach = self._resolver.reach(officer)
        reach.check(alert.target)
        progress = Progress.from_item(self._ledger.targeting(alert.id))
        costly = progress.costly
        now = self._now()
        alert_rules.approve(officer, alert, costly, now)
        # What reaches residents is what both the sender and the approver may reach.
        alert.frozen_scope = reach.freeze(alert.target, alert.frozen_scope)
        self._store.save(alert, item, utc_text(now))
        self._audit(officer, alert, "approve", progress.audience_size)
        self._queue_plan(alert, now)
        if self._events is not None:
            self._events.moderated(alert)
        return alert_rules.view(alert)

    def cancel(self, officer: Officer, alert_id: str) -> dict[str, Any]:
        alert, item = self._load(officer, alert_id)
        self._resolver.reach(officer).check(alert.target)
        if alert.source.user != officer.sub and not can_approve(officer):
            raise forbidden("Only the alert's author or an officer of its force can cancel it.")
        now = self._now()
        was = alert.status
        alert.move(Status.CANCELLED, officer.sub, now)
        self._store.save(alert, item, utc_text(now))
        self._audit(officer, alert, "cancel", detail="what was not yet sent is stopped")
        if self._events is not None:
            self._events.cancelled(alert, was)
        return alert_rules.view(alert)

    def _queue_plan(self, alert: Alert, now: datetime) -> None:
        queue_plan(self._jobs, alert, now)

    def read(self, officer: Officer, alert_id: str) -> dict[str, Any]:
        alert, _ = self._load(officer, alert_id)
        self._resolver.reach(officer).check(alert.target)
        shown = alert_rules.view(alert)
        progress = Progress.from_item(self._ledger.targeting(alert.id))
        shown["audience"] = audience_view(progress, alert.channels)
        shown["progress"] = progress_view(progress, self._ledger.tally(alert.id), alert.channels)
        # Left out because an earlier alert of the same appeal, from another sender, reached them (duplicate_of).
        shown["already_reached"] = progress.already_reached_residents
        shown["audit"] = self._store.audit_trail(alert.source.organisation, alert.id)
        return shown

    def public(self, organisation: str, alert_id: str) -> dict[str, Any]:
        """What anyone with the link may read of an alert once it is being sent: the words, the reference and the
        contact, never the audience, the area or who wrote it."""
        found = self._store.get(organisation, alert_id)
        if found is None or found[0].status not in (Status.SENDING, Status.PAUSED, Status.SENT):
            raise not_found(alert_id)
        alert = found[0]
        return {"id": alert.id, "from": self._settings.sender_of(alert), "category": alert.category,
                "priority": alert.priority, "incident_ref": alert.incident_ref, "contact": alert.contact,
                "content": {language: {"title": c.title, "body": c.body, "machine_translated": c.machine_translated}
                            for language, c in alert.content.items()},
                "sent_at_local": alert_rules.london_text(alert.send_at or alert.created_at),
                "event": _public_event(alert.event),
                "footage_request": alert.footage_request}

    def public_event(self, organisation: str, alert_id: str) -> bytes:
        """The .ics of a sent alert's event (domain/events.py), for the alert page's add-to-calendar link."""
        found = self._store.get(organisation, alert_id)
        if found is None or found[0].status not in (Status.SENDING, Status.PAUSED, Status.SENT) or not found[0].event:
            raise not_found(alert_id)
        alert = found[0]
        return ics(alert.id, alert.event or {}, self._settings.sender_name(organisation),
                   "; ".join(contact_lines(alert)), self._settings.links.host(), alert.created_at)

    def reject(self, officer: Officer, alert_id: str, reason: str) -> dict[str, Any]:
        alert, item = self._load(officer, alert_id)
        self._resolver.reach(officer).check(alert.target)
        now = self._now()
        alert_rules.reject(officer, alert, reason, now)
        self._store.save(alert, item, utc_text(now))
        self._audit(officer, alert, "reject", detail=reason)
        if self._events is not None:
            self._events.moderated(alert)
        return alert_rules.view(alert)

    def review(self, officer: Officer, limit: int, cursor: str | None) -> dict[str, Any]:
        """The alerts waiting for approval that this officer may approve: partners' moderated alerts, volunteers'."""
        if not can_approve(officer):
            raise forbidden("Only officers, supervisors and admins review alerts.")
        return self.page(officer, limit, cursor, Status.PENDING_APPROVAL.value)

    def page(self, officer: Officer, limit: int, cursor: str | None, status: str | None = None,
             filters: AlertFilters | None = None) -> dict[str, Any]:
        wanted = filters or AlertFilters()
        author = officer.sub if wanted.author == "me" else wanted.author
        items, next_cursor = self._store.page(officer.organisation, limit, cursor, status, author, wanted.created)
        reach = self._resolver.reach(officer)
        in_area = self._resolver.area_filter(officer.organisation, wanted.area) if wanted.area else None
        alerts = []
        for item in items:
            alert = alert_rules.from_document(json.loads(item.document))
            if not reach.allows(alert.target):
                continue  # an area-limited officer lists only the alerts aimed inside their areas
            if in_area is not None and not in_area(alert.target):
                continue
            content = next(iter(alert.content.values()))
            alerts.append({"id": alert.id, "status": alert.status.value, "title": content.title,
                           "category": alert.category, "priority": alert.priority,
                           "incident_ref": alert.incident_ref, "created_at": item.created_at,
                           "created_by": item.created_by, "target_type": alert.target["type"],
                           "source": alert.source.kind, "partner": alert.source.partner})
        return {"alerts": alerts, "next_cursor": next_cursor}


def plan_job(alert: Alert, release_id: str | None = None) -> dict[str, Any]:
    return PlanJob(alert.source.organisation, alert.id, release_id=release_id).message()


def queue_plan(jobs: JobQueue, alert: Alert, now: datetime) -> None:
    """A sending alert is targeted now. A scheduled one due within SQS's longest delay gets a release job held until
    its time; a later one is released by the every-minute schedule (services/scheduled_release.py)."""
    if alert.status is Status.SENDING:
        jobs.put(plan_job(alert))
    elif alert.status is Status.SCHEDULED and alert.send_at is not None:
        wait = (alert.send_at - now).total_seconds()
        if wait <= MAX_SQS_DELAY_SECONDS:
            jobs.put(plan_job(alert, str(ULID())), delay_seconds=max(0, int(wait)))
