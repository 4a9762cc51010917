"""The alert: what officers write, how it moves from draft to sent, and who may move it. Pure: no AWS here.

Shaped for what comes after the first send: updates and cancels refer to earlier alerts, content is kept per
language and marked as written or machine-translated, and the source says whether an officer or a partner (with its
own unique id for the alert) raised it. Times are stored in UTC and shown in Europe/London.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from .coverage import Area, Circle, Target
from .errors import FieldError, HexwatchError, forbidden, invalid
from .officers import Officer, Role, can_approve, can_approve_costly, needs_approval

LONDON = ZoneInfo("Europe/London")
RSVP_OPTIONS = ("I will come", "I cannot come")  # an event alert's own question


class Status(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"  # the provider refused for quota or a sending pause: retried later, nothing lost
    SENT = "sent"
    CANCELLED = "cancelled"


# Every move an alert may make; anything else is a 409.
TRANSITIONS: dict[Status, set[Status]] = {
    Status.DRAFT: {Status.PENDING_APPROVAL, Status.SCHEDULED, Status.SENDING, Status.CANCELLED},
    Status.PENDING_APPROVAL: {Status.SCHEDULED, Status.SENDING, Status.CANCELLED},
    # A volunteer's edit of a scheduled alert sends it back for approval (domain/alert_edits.py).
    Status.SCHEDULED: {Status.SENDING, Status.CANCELLED, Status.PENDING_APPROVAL},
    # Cancelling while sending stops what is not yet sent; a send found to be costly once targeted waits for approval.
    Status.SENDING: {Status.SENT, Status.CANCELLED, Status.PENDING_APPROVAL, Status.PAUSED},
    # Paused by the provider (sending paused, daily quota): it resumes by itself when a later try goes through.
    Status.PAUSED: {Status.SENDING, Status.SENT, Status.CANCELLED},
    Status.SENT: set(),
    Status.CANCELLED: set(),
}


@dataclass(frozen=True)
class Content:
    title: str
    body: str
    machine_translated: bool = False
    # The language these words are in, when it is not the one they are filed under: the original, sent with a note
    # because no translation could be had (domain/translation.py). Never stored.
    written_in: str | None = None


@dataclass(frozen=True)
class Source:
    kind: str  # "officer" or "partner"
    organisation: str
    user: str | None = None  # the officer's sub, or partner:<id> (domain/partners.py)
    partner_reference: str | None = None  # the partner's own id for the alert, unique per partner
    partner_type: str | None = None  # council, fraud...: residents choose which kinds of sender may reach them
    partner_name: str | None = None  # what residents read as the sender, with the host force's name

    @property
    def partner(self) -> str | None:
        return self.user.removeprefix("partner:") if self.kind == "partner" and self.user else None


@dataclass
class Alert:
    id: str
    type: str
    references: list[str]
    status: Status
    category: str
    priority: str
    incident_ref: str
    contact: dict[str, str]
    target: dict[str, Any]
    channels: list[str]
    groups: list[str]
    business_sectors: list[str]
    content: dict[str, Content]  # by language; the written language first
    source: Source
    created_at: datetime
    send_at: datetime | None = None
    expires_at: datetime | None = None
    footage_request: dict[str, Any] | None = None
    survey: dict[str, Any] | None = None  # {"question", "options": [...]} or {"question", "free_text": True}
    event: dict[str, Any] | None = None  # a neighbourhood event: title, start, end, place, description (domain/events)
    approved_by: str | None = None
    approver_role: str | None = None
    sent_by: str | None = None  # who asked for the send: their role decides whether a costly send waits
    sent_by_role: str | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    # What the sender (and approver) could reach around the target when they sent (approved) it, as WKB in base64
    # (domain/scope.py); the worker sends to nobody outside it, whatever the target says.
    frozen_scope: str | None = None
    # An officer's decision on an alert that waited for approval: {"outcome", "reason", "by", "at"}.
    moderation: dict[str, str] | None = None
    # Published once sending starts: the Atom feed of CAP messages and the public list (services/feeds.py).
    public: bool = False
    # Earlier alerts of other senders with the same appeal (domain/dedup.py): their residents are left out of this one.
    duplicate_of: list[str] = field(default_factory=list)
    # The plan job that moved a scheduled alert to sending (domain/jobs.py PlanJob.release_id): a second job for the
    # same time, from an overlapping schedule run, finds another id here and stops, so the alert goes out once.
    release_id: str | None = None

    def move(self, to: Status, by: str, at: datetime, reason: str | None = None) -> None:
        if to not in TRANSITIONS[self.status]:
            raise HexwatchError(f"A {self.status.value} alert cannot become {to.value}.",
                                [FieldError("/status", f"cannot go from {self.status.value} to {to.value}")],
                                409, "Conflict")
        moved = {"from": self.status.value, "to": to.value, "by": by, "at": utc_text(at)}
        if reason:
            moved["reason"] = reason  # why the system moved it, e.g. the provider's quota error code
        self.history.append(moved)
        self.status = to


def parse_time(text: str, pointer: str) -> datetime:
    """An RFC 3339 time with an offset; times without one are refused rather than guessed."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("That time is not valid.", FieldError(pointer, "is not an RFC 3339 time")) from None
    if moment.tzinfo is None:
        raise invalid("Give times with an offset.", FieldError(pointer, "needs an offset, e.g. Z or +01:00"))
    return moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def london_text(moment: datetime) -> str:
    """What officers and residents read: local time, with the zone's own name (GMT or BST)."""
    return moment.astimezone(LONDON).strftime("%-d %B %Y, %H:%M %Z")


def target_geometry(target: dict[str, Any]) -> Target | None:
    """The drawn geometry of a circle or polygon target; areas and the whole organisation resolve elsewhere."""
    if target["type"] == "circle":
        return Circle(float(target["center"]["lat"]), float(target["center"]["lng"]), float(target["radius_m"]))
    if target["type"] == "polygon":
        return Area.from_geojson(target["geometry"])
    return None


def check_times(send_at: datetime | None, expires_at: datetime | None, now: datetime) -> None:
    errors = []
    if send_at is not None and send_at < now:
        errors.append(FieldError("/send_at", "is in the past"))
    if expires_at is not None and expires_at <= (send_at or now):
        errors.append(FieldError("/expires_at", "must be after the alert is sent"))
    if errors:
        raise invalid("The alert's times do not fit.", *errors)


def status_when_sent(officer: Officer, alert: Alert, costly: bool, now: datetime) -> Status:
    """Where a send request takes the alert: volunteers and costly sends wait for approval; a future send_at waits."""
    waiting = alert.status is Status.PENDING_APPROVAL or needs_approval(officer)
    if alert.approved_by is None and (waiting or (costly and not can_approve_costly(officer))):
        return Status.PENDING_APPROVAL
    return Status.SCHEDULED if alert.send_at and alert.send_at > now else Status.SENDING


def reject(officer: Officer, alert: Alert, reason: str, now: datetime) -> None:
    """An alert waiting for approval is refused: it is cancelled, and its sender (a partner reads it from its
    status endpoint) learns why."""
    if not can_approve(officer) or officer.organisation != alert.source.organisation:
        raise forbidden("Only officers, supervisors and admins of the alert's force can reject it.")
    if alert.status is not Status.PENDING_APPROVAL:
        raise HexwatchError("Only an alert waiting for approval can be rejected.",
                            [FieldError("/status", f"is {alert.status.value}, not pending_approval")], 409, "Conflict")
    alert.move(Status.CANCELLED, officer.sub, now, reason=f"rejected: {reason}")
    alert.moderation = {"outcome": "rejected", "reason": reason, "by": officer.sub, "at": utc_text(now)}


def approve(officer: Officer, alert: Alert, costly: bool, now: datetime) -> Status:
    """An approval moves the alert on; nobody approves their own alert, and costly sends need a supervisor."""
    if not can_approve(officer) or officer.organisation != alert.source.organisation:
        raise forbidden("Only officers, supervisors and admins of the alert's force can approve it.")
    if alert.source.user == officer.sub:
        raise forbidden("Another officer must approve this alert.")
    if costly and officer.role < Role.SUPERVISOR:
        raise forbidden("Sends over the SMS and voice limit need a supervisor's approval.")
    alert.approved_by = officer.sub
    alert.approver_role = officer.role.group
    alert.moderation = {"outcome": "approved", "by": officer.sub, "at": utc_text(now)}
    next_status = Status.SCHEDULED if alert.send_at and alert.send_at > now else Status.SENDING
    alert.move(next_status, officer.sub, now)
    return next_status


def new_alert(alert_id: str, body: dict[str, Any], source: Source, now: datetime) -> Alert:
    """An alert from a validated request body; its times are checked against `now`."""
    send_at = parse_time(body["send_at"], "/send_at") if body.get("send_at") else None
    expires_at = parse_time(body["expires_at"], "/expires_at") if body.get("expires_at") else None
    check_times(send_at, expires_at, now)
    footage = body.get("footage_request")
    if footage and parse_time(footage["to"], "/footage_request/to") < parse_time(footage["from"],
                                                                                  "/footage_request/from"):
        raise invalid("The footage request's times do not fit.",
                      FieldError("/footage_request/to", "must not be before from"))
    event = body.get("event")
    if event and body["category"] != "neighbourhood":
        raise invalid("Only neighbourhood news and events can carry an event.",
                      FieldError("/event", "needs category neighbourhood"))
    if event and parse_time(event["end"], "/event/end") <= parse_time(event["start"], "/event/start"):
        raise invalid("The event ends before it starts.", FieldError("/event/end", "must be after start"))
    survey = body.get("survey")
    if event and survey:
        raise invalid("An event alert asks who will come: it cannot ask another question.",
                      FieldError("/survey", "is not allowed with an event"))
    if event:
        # Residents say whether they will come as they answer a survey (by link, or by texting 1 or 2), and the
        # officer reads the count from GET /v1/alerts/{id}/survey.
        survey = {"question": f"Will you come to {event['title']}?", "options": list(RSVP_OPTIONS)}
    if body.get("type", "alert") != "alert" and not body.get("references"):
        raise invalid("Updates and cancels say which alert they follow.",
                      FieldError("/references", "names no earlier alert"))
    language = body.get("language", "en")
    content = {language: Content(body["title"].strip(), body["body"].strip())}
    for other, words in (body.get("translations") or {}).items():
        if other != language:  # the officer's own words in another language, used as written
            content[other] = Content(words["title"].strip(), words["body"].strip())
    return Alert(
        id=alert_id, type=body.get("type", "alert"), references=list(body.get("references") or []),
        status=Status.DRAFT, category=body["category"], priority=body["priority"],
        incident_ref=body["incident_ref"].strip(), contact=dict(body["contact"]), target=dict(body["target"]),
        channels=list(body["channels"]), groups=list(body.get("groups") or []),
        business_sectors=list(body.get("business_sectors") or []),
        content=content, source=source, created_at=now,
        send_at=send_at, expires_at=expires_at, footage_request=footage, survey=survey, event=event,
        public=body.get("public") is True)


def to_document(alert: Alert) -> dict[str, Any]:
    """The stored form: JSON-ready, times in UTC."""
    return {
        "id": alert.id, "type": alert.type, "references": alert.references, "status": alert.status.value,
        "category": alert.category, "priority": alert.priority, "incident_ref": alert.incident_ref,
        "contact": alert.contact, "target": alert.target, "channels": alert.channels, "groups": alert.groups,
        "business_sectors": alert.business_sectors,
        "content": {language: {"title": c.title, "body": c.body, "machine_translated": c.machine_translated}
                    for language, c in alert.content.items()},
        "source": {"kind": alert.source.kind, "organisation": alert.source.organisation, "user": alert.source.user,
                   "partner_reference": alert.source.partner_reference,
                   "partner_type": alert.source.partner_type, "partner_name": alert.source.partner_name},
        "created_at": utc_text(alert.created_at),
        "send_at": utc_text(alert.send_at) if alert.send_at else None,
        "expires_at": utc_text(alert.expires_at) if alert.expires_at else None,
        "footage_request": alert.footage_request, "survey": alert.survey, "event": alert.event,
        "approved_by": alert.approved_by,
        "approver_role": alert.approver_role, "sent_by": alert.sent_by, "sent_by_role": alert.sent_by_role,
        "history": alert.history, "frozen_scope": alert.frozen_scope, "moderation": alert.moderation,
        "public": alert.public, "duplicate_of": alert.duplicate_of, "release_id": alert.release_id,
    }


def from_document(document: dict[str, Any]) -> Alert:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

    source = document["source"]
    return Alert(
        id=document["id"], type=document["type"], references=list(document["references"]),
        status=Status(document["status"]), category=document["category"], priority=document["priority"],
        incident_ref=document["incident_ref"], contact=dict(document["contact"]), target=dict(document["target"]),
        channels=list(document["channels"]), groups=list(document["groups"]),
        business_sectors=list(document["business_sectors"]),
        content={language: Content(c["title"], c["body"], bool(c.get("machine_translated")))
                 for language, c in document["content"].items()},
        source=Source(source["kind"], source["organisation"], source.get("user"), source.get("partner_reference"),
                      source.get("partner_type"), source.get("partner_name")),
        created_at=when(document["created_at"]) or datetime.now(UTC), send_at=when(document.get("send_at")),
        expires_at=when(document.get("expires_at")), footage_request=document.get("footage_request"),
        survey=document.get("survey"), event=document.get("event"),
        approved_by=document.get("approved_by"), approver_role=document.get("approver_role"),
        sent_by=document.get("sent_by"), sent_by_role=document.get("sent_by_role"),
        history=list(document.get("history") or []), frozen_scope=document.get("frozen_scope"),
        moderation=document.get("moderation"), public=document.get("public") is True,
        duplicate_of=list(document.get("duplicate_of") or []), release_id=document.get("release_id"))


def view(alert: Alert) -> dict[str, Any]:
    """What officers read: the stored form, with times also shown in Europe/London."""
    shown = to_document(alert)
    del shown["frozen_scope"]  # the worker's, not the reader's: geometry of the officer's areas
    del shown["release_id"]
    shown["title"], shown["body"] = next(iter(alert.content.values())).title, next(iter(alert.content.values())).body
    shown["created_at_local"] = london_text(alert.created_at)
    if alert.send_at:
        shown["send_at_local"] = london_text(alert.send_at)
    if alert.expires_at:
        shown["expires_at_local"] = london_text(alert.expires_at)
    return shown


def needs_supervisor(alert: Alert, costly: bool) -> bool:
    """Held after targeting: a costly send that neither its sender's nor its approver's role covers."""
    roles = {alert.sent_by_role, alert.approver_role} - {None}
    return costly and not any(role in ("supervisor", "admin") for role in roles)


@dataclass(frozen=True)
class AlertFilters:
    """What an officer narrows their list of alerts by: the author ("me" or a sub), a named area the alert reaches
    into, and the creation range (from, to as Unix times)."""

    author: str | None = None
    area: str | None = None
    created: tuple[float, float] | None = None
