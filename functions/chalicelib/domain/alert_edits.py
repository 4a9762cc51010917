"""Changing an alert before it goes out: its words, target, channels, times and the rest, until it is due. Pure.

An edit is a JSON merge patch of the request that created the alert (a null removes an optional field). The merged
request is checked again in full, as a new alert would be, so an edit can never make an alert that could not have
been written. Who may edit follows who may send: a volunteer only their own alert, an officer any of their force's
within their areas. Only officers' alerts are edited here: a partner changes its own by sending an Update.

An approval covers the words and target that were approved. A volunteer's edit of an approved, scheduled alert sends
it back for approval; an officer's edit of it stands as their own send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .alerts import Alert, Status, london_text, new_alert, status_when_sent, utc_text
from .errors import FieldError, HexwatchError, forbidden
from .officers import Officer, Role, needs_approval

EDITABLE = (Status.DRAFT, Status.PENDING_APPROVAL, Status.SCHEDULED)
# Fields of schemas/alert.json an edit may set; an update's or cancel's place in a thread (type, references) is fixed.
EDITABLE_FIELDS = ("title", "body", "language", "translations", "category", "priority", "incident_ref", "contact",
                   "target", "groups", "business_sectors", "channels", "public", "send_at", "expires_at", "event",
                   "survey", "footage_request")


def request_body(alert: Alert) -> dict[str, Any]:
    """The request that would create this alert as it stands (times in UTC)."""
    language, content = next(iter(alert.content.items()))
    body: dict[str, Any] = {
        "type": alert.type, "title": content.title, "body": content.body, "language": language,
        "category": alert.category, "priority": alert.priority, "incident_ref": alert.incident_ref,
        "contact": dict(alert.contact), "target": dict(alert.target), "channels": list(alert.channels),
        "groups": list(alert.groups), "business_sectors": list(alert.business_sectors), "public": alert.public,
    }
    if alert.references:
        body["references"] = list(alert.references)
    # Officers' own translations; machine ones are made again from the edited words at send.
    own = {other: {"title": words.title, "body": words.body} for other, words in list(alert.content.items())[1:]
           if not words.machine_translated}
    if own:
        body["translations"] = own
    for name, moment in (("send_at", alert.send_at), ("expires_at", alert.expires_at)):
        if moment is not None:
            body[name] = utc_text(moment)
    for name, value in (("event", alert.event), ("footage_request", alert.footage_request)):
        if value:
            body[name] = value
    if alert.survey and not alert.event:  # an event's question is derived from the event, not written
        body["survey"] = alert.survey
    return body


def merge(alert: Alert, patch: dict[str, Any]) -> dict[str, Any]:
    """The alert's request with the patch applied: a value replaces, a null removes."""
    merged = request_body(alert)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def check_may_edit(officer: Officer, alert: Alert, now: datetime, counted: bool) -> None:
    """Refuses an edit the officer may not make, or one that comes too late (`counted`: the pipeline has counted
    the alert's audience, so it is being sent or was held after counting)."""
    if officer.organisation != alert.source.organisation:
        raise forbidden("Only officers of the alert's force can change it.")
    if alert.source.kind != "officer":
        raise forbidden("A partner's alert is changed by the partner (an Update): approve or reject it here.")
    if officer.role < Role.OFFICER and alert.source.user != officer.sub:
        raise forbidden("Volunteers can change only alerts they wrote.")
    if alert.status not in EDITABLE or counted:
        raise HexwatchError(f"A {alert.status.value} alert can no longer be changed: cancel it and write another.",
                            [FieldError("/status", f"is {alert.status.value}: only draft, pending_approval or "
                                                   "scheduled alerts not yet due can be changed")], 409, "Conflict")
    if alert.status is Status.SCHEDULED and alert.send_at is not None and alert.send_at <= now:
        raise HexwatchError("This alert is due and is being sent: it can no longer be changed.",
                            [FieldError("/send_at", "has passed")], 409, "Conflict")


def rebuild(alert: Alert, merged: dict[str, Any], now: datetime) -> Alert:
    """The edited alert: the merged request's fields (checked as a new alert's are, times against `now`), with the
    alert's identity, status and history kept. Machine translations of the old words are dropped with them."""
    edited = new_alert(alert.id, merged, alert.source, now)
    edited.status, edited.created_at, edited.history = alert.status, alert.created_at, list(alert.history)
    edited.sent_by, edited.sent_by_role = alert.sent_by, alert.sent_by_role
    edited.approved_by, edited.approver_role, edited.moderation = (alert.approved_by, alert.approver_role,
                                                                    alert.moderation)
    edited.frozen_scope, edited.duplicate_of = alert.frozen_scope, list(alert.duplicate_of)
    return edited


def changed_fields(before: Alert, after: Alert) -> list[str]:
    old, new = request_body(before), request_body(after)
    return [name for name in EDITABLE_FIELDS if old.get(name) != new.get(name)]


def settle(officer: Officer, edited: Alert, now: datetime) -> Status:
    """Where an edited alert stands. A draft stays a draft and an alert waiting for approval still waits. A scheduled
    one is sent again by the editor: a volunteer's edit undoes its approval and it waits again; an officer's keeps it
    scheduled (or sends it now, if its time was removed)."""
    if edited.status is not Status.SCHEDULED:
        return edited.status
    if needs_approval(officer):
        edited.approved_by = edited.approver_role = None
        edited.moderation = None
    next_status = status_when_sent(officer, edited, False, now)
    edited.sent_by, edited.sent_by_role = officer.sub, officer.role.group
    if next_status is not edited.status:
        edited.move(next_status, officer.sub, now, reason="edited")
    return next_status


def describe(before: Alert, after: Alert, changed: list[str]) -> str:
    """The audit entry's words: which fields changed, and a reschedule's old and new times in UK time."""
    words = "changed " + ", ".join(changed)
    if "send_at" in changed:
        old = london_text(before.send_at) if before.send_at else "none"
        new = london_text(after.send_at) if after.send_at else "none (send now)"
        words += f"; send_at from {old} to {new}"
    return words
