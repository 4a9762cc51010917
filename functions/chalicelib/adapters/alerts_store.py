"""Alerts, their append-only audit log and counted previews, in DynamoDB through PynamoDB.

An alert's status moves with optimistic locking (AlertModel.version): when two officers approve, or one approves as
another cancels, the second write fails its condition and is answered 409 rather than silently winning.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError
from ulid import ULID

from ..domain.alerts import Alert, Status, from_document, to_document, utc_text
from ..domain.errors import FieldError, HexwatchError, invalid
from .models import AlertModel, AuditEntryModel, PreviewModel

CONFLICT = "Someone else changed this alert at the same moment: reload it and try again."
DUE = "scheduled"  # the one partition of the by-due index: only scheduled alerts are in it


def _mark_due(item: AlertModel, alert: Alert) -> None:
    """In the by-due index exactly while scheduled: every write of the alert sets or clears it."""
    scheduled = alert.status is Status.SCHEDULED and alert.send_at is not None
    item.due = DUE if scheduled else None
    item.due_at = utc_text(alert.send_at) if scheduled and alert.send_at else None


@dataclass(frozen=True)
class AuditEntry:
    organisation: str
    alert_id: str
    action: str
    actor: str
    actor_role: str
    status: str
    audience: int | None = None
    detail: str | None = None


class AlertStore:
    def create(self, alert: Alert, created_by: str) -> None:
        now = utc_text(alert.created_at)
        item = AlertModel(organisation=alert.source.organisation, alert_id=alert.id, status=alert.status.value,
                          document=json.dumps(to_document(alert)), created_by=created_by, created_at=now,
                          updated_at=now, public=alert.public or None)
        _mark_due(item, alert)
        item.save(AlertModel.alert_id.does_not_exist())

    def create_new(self, alert: Alert, created_by: str) -> bool:
        """As create, answering False (and writing nothing) when an alert with this id exists already."""
        try:
            self.create(alert, created_by)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, organisation: str, alert_id: str) -> tuple[Alert, AlertModel] | None:
        try:
            item = AlertModel.get(organisation, alert_id, consistent_read=True)
        except DoesNotExist:
            return None
        return from_document(json.loads(item.document)), item

    def save(self, alert: Alert, item: AlertModel, at: str) -> None:
        """Writes a changed alert if nobody else changed it since `item` was read (version check)."""
        item.status = alert.status.value
        item.document = json.dumps(to_document(alert))
        item.public = alert.public or None
        item.updated_at = at
        _mark_due(item, alert)
        try:
            item.save()
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise HexwatchError(CONFLICT, [FieldError("/status", "changed by someone else")], 409,
                                    "Conflict") from None
            raise

    def page(self, organisation: str, limit: int, cursor: str | None, status: str | None = None,
             author: str | None = None, created: tuple[float, float] | None = None,
             ) -> tuple[list[AlertModel], str | None]:
        """Newest first; the cursor is opaque to callers (the last key, encoded). With `status` or `author` (a sub),
        only alerts in that status or written by them (filters after the read: a page can be short, and the cursor
        goes on). With `created` (from, to as Unix times), only alerts created in that range: a key condition, since
        an alert's id is a ULID that starts with its creation time."""
        start = None
        if cursor:
            try:
                start = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
            except (ValueError, UnicodeDecodeError):
                start = None
            # Only a key this list handed out, for this organisation: never a way into another force's alerts.
            if not (isinstance(start, dict) and set(start) == {"organisation", "alert_id"}
                    and start["organisation"] == {"S": organisation}):
                raise invalid("That page cursor is not valid.", FieldError("/cursor", "is not a cursor from this list"))
        filter_condition = None
        for condition in ([AlertModel.status == status] if status else []) + (
                [AlertModel.created_by == author] if author else []):
            filter_condition = condition if filter_condition is None else filter_condition & condition
        range_condition = None
        if created is not None:
            range_condition = AlertModel.alert_id.between(str(ULID.from_timestamp(created[0]))[:10] + "0" * 16,
                                                          str(ULID.from_timestamp(created[1]))[:10] + "Z" * 16)
        results = AlertModel.query(organisation, range_condition, scan_index_forward=False, limit=limit,
                                   last_evaluated_key=start, filter_condition=filter_condition)
        items = list(results)
        last = results.last_evaluated_key
        next_cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last and items else None
        return items, next_cursor

    def published(self, organisation: str, limit: int, created_after: float) -> list[Alert]:
        """The organisation's newest public alerts that have started sending (or been sent), created after
        `created_after` (a Unix time), at most `limit`: one Query over that time range, newest first."""
        lower_bound = str(ULID.from_timestamp(created_after))[:10] + "0" * 16
        found: list[Alert] = []
        for item in AlertModel.query(organisation, AlertModel.alert_id > lower_bound, scan_index_forward=False,
                                     filter_condition=(AlertModel.public == True)  # noqa: E712 - an expression
                                     & AlertModel.status.is_in("sending", "paused", "sent")):
            found.append(from_document(json.loads(item.document)))
            if len(found) >= limit:
                break
        return found

    def sent_since(self, organisation: str, created_after: float) -> list[Alert]:
        """The organisation's alerts created after `created_after` that went out (sending, paused or sent)."""
        lower_bound = str(ULID.from_timestamp(created_after))[:10] + "0" * 16
        return [from_document(json.loads(item.document))
                for item in AlertModel.query(organisation, AlertModel.alert_id > lower_bound,
                                             filter_condition=AlertModel.status.is_in("sending", "paused", "sent"))]

    def sending_since(self, organisation: str, created_after: float) -> list[tuple[str, str]]:
        """(alert id, when it began sending) for each of the organisation's alerts created after `created_after` (a
        Unix time) that is still sending. One Query: alert ids are ULIDs, so their first ten characters are the time."""
        lower_bound = str(ULID.from_timestamp(created_after))[:10] + "0" * 16
        found = []
        for item in AlertModel.query(organisation, AlertModel.alert_id > lower_bound,
                                     filter_condition=AlertModel.status == "sending"):
            history = json.loads(item.document).get("history") or []
            began = next((step["at"] for step in reversed(history) if step.get("to") == "sending"), item.updated_at)
            found.append((item.alert_id, str(began)))
        return found

    def due(self, until: str, limit: int) -> list[tuple[str, str]]:
        """(organisation, alert id) of scheduled alerts due at or before `until` (UTC text), soonest first, at most
        `limit`: one Query of the sparse by-due index, across every organisation. The index is eventually
        consistent, so callers read each alert again before acting on it."""
        return [(item.organisation, item.alert_id)
                for item in AlertModel.by_due.query(DUE, AlertModel.due_at <= until, limit=limit)]

    def audit(self, entry: AuditEntry, at: str) -> None:
        AuditEntryModel(organisation=entry.organisation, entry_id=f"{entry.alert_id}#{ULID()}", alert_id=entry.alert_id,
                        action=entry.action, actor=entry.actor, actor_role=entry.actor_role, at=at,
                        status=entry.status, audience=entry.audience, detail=entry.detail,
                        ).save(AuditEntryModel.entry_id.does_not_exist())

    def record_action(self, alert: Alert, action: str, actor: str, actor_role: str, at: str,
                      audience: int | None = None, detail: str | None = None) -> None:
        """One audit entry for what an officer (or the pipeline, as "system") just did to this alert."""
        self.audit(AuditEntry(alert.source.organisation, alert.id, action, actor, actor_role, alert.status.value,
                              audience, detail), at)

    def audit_read(self, officer: Any, what: str, shown: int, at: str) -> None:
        """A read of residents' replies that showed who sent them: `what` is the alert id, or "inbox"."""
        self.audit(AuditEntry(officer.organisation, what, "read-replies", officer.sub, officer.role.group, "replies",
                              shown), at)

    def audit_answer(self, officer: Any, alert_id: str, reply_id: str, at: str) -> None:
        self.audit(AuditEntry(officer.organisation, alert_id, "answer-reply", officer.sub, officer.role.group,
                              "replies", None, reply_id), at)

    def audit_attachment(self, officer: Any, alert_id: str, reply_id: str, at: str) -> None:
        self.audit(AuditEntry(officer.organisation, alert_id, "open-attachment", officer.sub, officer.role.group,
                              "replies", None, reply_id), at)

    def audit_trail(self, organisation: str, alert_id: str) -> list[dict[str, Any]]:
        return [{"action": e.action, "actor": e.actor, "actor_role": e.actor_role, "at": e.at, "status": e.status,
                 "audience": e.audience, "detail": e.detail}
                for e in AuditEntryModel.query(organisation, AuditEntryModel.entry_id.startswith(f"{alert_id}#"))]


class PreviewStore:
    def create(self, preview_id: str, organisation: str, requested_by: str, request: dict[str, Any], at: str,
               expires_at: int) -> None:
        PreviewModel(preview_id=preview_id, organisation=organisation, requested_by=requested_by, status="counting",
                     request=json.dumps(request), created_at=at, expires_at=expires_at).save()

    def get(self, preview_id: str) -> PreviewModel | None:
        try:
            return PreviewModel.get(preview_id, consistent_read=True)
        except DoesNotExist:
            return None
