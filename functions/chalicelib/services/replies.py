"""Residents' replies as the sender's team sees them: the inbox, one alert's replies, marking them, and answering.

Who sees what:
- every role of the alert's organisation reads replies to alerts it may reach (an area-limited officer: alerts aimed
  within their areas, or sent by them), but only officers and above see who sent one (name and contact);
- every read that shows contacts is written to the audit log, with how many replies it showed;
- an answer goes back on the channel the resident used (a web reply by email, or by SMS if they have no verified
  email), at most `respond.officer` an hour per officer, and is kept with the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ..domain.alerts import Alert
from ..domain.contacts import ContactKind, mask
from ..domain.errors import FieldError, HexwatchError, forbidden
from ..domain.officers import Officer, Role
from ..domain.replies import MAX_RESPONSE_SMS_SEGMENTS, Answer, Reply, ReplyChannel, ReplyState
from ..domain.sms import segments
from ..domain.sms_replies import SMS_STOPPED


@dataclass(frozen=True)
class ReplyContext:
    organisation: str
    areas: tuple[str, ...]
    sender: str
    incident_ref: str


def reply_context(ledger: Any, alerts: Any, alert_id: str) -> ReplyContext | None:
    """The team a reply to this alert goes to (the ledger's plan names the organisation), or None if unknown."""
    organisation = ledger.targeting(alert_id).get("organisation")
    found = alerts.get(organisation, alert_id) if organisation else None
    if found is None:
        return None
    alert: Alert = found[0]
    return ReplyContext(organisation, tuple(alert.target.get("area_ids") or ()), alert.source.user or "",
                        alert.incident_ref)


def readable_alert(alerts: Any, resolver: Any, officer: Officer, alert_id: str) -> Alert:
    """One of the officer's force's alerts that they may read: theirs, or aimed within their reach (404, 403)."""
    found = alerts.get(officer.organisation, alert_id)
    if found is None:
        raise HexwatchError("There is no such alert in your organisation.", [FieldError("/id", "not found")], 404,
                            "NotFound")
    alert: Alert = found[0]
    if alert.source.user != officer.sub:
        resolver.reach(officer).check(alert.target)
    return alert


class Limiter(Protocol):
    def check(self, rule: str, subject: str) -> None: ...


class JobQueue(Protocol):
    def put(self, job: dict[str, Any], delay_seconds: int = 0) -> None: ...


def no_such_reply() -> HexwatchError:
    return HexwatchError("There is no such reply in your organisation.", [FieldError("/reply_id", "not found")], 404,
                         "NotFound")


def gone(message: str) -> HexwatchError:
    return HexwatchError(message, [FieldError("/reply_id", "cannot be answered")], 409, "Conflict")


class ReplyService:
    def __init__(self, *, store: Any, alerts: Any, residents: Any, suppressions: Any, resolver: Any, jobs: JobQueue,
                 limiter: Limiter, sender_name: Callable[[str], str],
                 reply_to: Callable[[str], str | None], clock: Callable[[], float], attachments: Any = None) -> None:
        self._reply_to = reply_to
        self._attachments = attachments
        self._store = store
        self._alerts = alerts
        self._residents = residents
        self._suppressions = suppressions
        self._resolver = resolver
        self._jobs = jobs
        self._limiter = limiter
        self._sender_name = sender_name
        self._clock = clock

    # --- reading -------------------------------------------------------------------------------------------------

    def for_alert(self, officer: Officer, alert_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
        readable_alert(self._alerts, self._resolver, officer, alert_id)
        replies, next_cursor = self._store.for_alert(officer.organisation, alert_id, limit, cursor)
        return self._shown(officer, replies, next_cursor, alert_id)

    def inbox(self, officer: Officer, limit: int, cursor: str | None, state: ReplyState | None = None,
              area: str | None = None) -> dict[str, Any]:
        replies, next_cursor = self._store.inbox(officer.organisation, limit, cursor, state)
        replies = [r for r in replies if self._may_read(officer, r) and (area is None or area in r.areas)]
        return self._shown(officer, replies, next_cursor, "inbox")

    def _may_read(self, officer: Officer, reply: Reply) -> bool:
        return officer.whole_organisation or reply.sender == officer.sub or any(a in officer.areas
                                                                                   for a in reply.areas)

    def _shown(self, officer: Officer, replies: list[Reply], cursor: str | None, what: str) -> dict[str, Any]:
        shows_contacts = officer.role >= Role.OFFICER
        residents = self._residents.get_many({r.resident_id for r in replies if r.resident_id}) \
            if shows_contacts and replies else {}
        if shows_contacts and replies:
            self._alerts.audit_read(officer, what, len(replies), self._now())
        return {"replies": [self._view(r, residents if shows_contacts else None) for r in replies],
                "next_cursor": cursor}

    def _view(self, reply: Reply, residents: dict[str, Any] | None) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": reply.id, "alert_id": reply.alert_id, "channel": reply.channel.value, "text": reply.text,
            "received_at": reply.received_at, "state": reply.state.value, "truncated": reply.truncated,
            "areas": list(reply.areas), "verdicts": reply.verdicts, "attachments": reply.attachments,
            "answers": [vars(a) for a in reply.answers], "erased": not reply.resident_id}
        if residents is not None:
            resident = residents.get(reply.resident_id)
            record = resident.contact(reply.contact_hash) if resident and reply.contact_hash else None
            shown["from"] = {"name": resident.name if resident else None,
                             "contact": record.address if record else None,
                             "kind": record.kind if record else None} if resident else None
        return shown

    # --- acting ----------------------------------------------------------------------------------------------------

    def mark(self, officer: Officer, reply_id: str, state: ReplyState) -> dict[str, Any]:
        reply = self._readable(officer, reply_id)
        self._store.set_state(reply, state)
        reply.state = state
        return {"id": reply.id, "state": state.value}

    def respond(self, officer: Officer, reply_id: str, text: str) -> dict[str, Any]:
        reply = self._readable(officer, reply_id)
        if officer.role < Role.OFFICER:
            raise forbidden("Volunteers cannot answer residents: ask an officer.")
        if reply.state is ReplyState.ABUSIVE:
            raise gone("This reply is marked abusive: it is not answered.")
        self._limiter.check("respond.officer", officer.sub)
        resident = self._residents.get(reply.resident_id) if reply.resident_id else None
        if resident is None:
            raise gone("The resident who sent this reply has left or been erased: it cannot be answered.")
        channel, record = self._route(reply, resident)
        name = self._sender_name(reply.organisation)
        context = self._alerts.get(reply.organisation, reply.alert_id)
        reference = context[0].incident_ref if context else ""
        job: dict[str, Any] = {"type": "answer", "resident_id": resident.id, "contact_hash": record.hash}
        if channel == "sms":
            job["text"] = f"{name}: {text} (Ref {reference})"
            if segments(job["text"]) > MAX_RESPONSE_SMS_SEGMENTS:
                raise HexwatchError("That answer is too long for a text message.", [FieldError(
                    "/text", f"takes more than {MAX_RESPONSE_SMS_SEGMENTS} text segments: shorten it")], 400,
                    "ValidationError")
        else:
            reply_to = self._reply_to(reply.alert_id)
            job["text"] = f"{text}\n\n{name}, about incident {reference}." + (
                " Reply to this email to write to us again." if reply_to else "")
            job["subject"] = f"Re: your reply about incident {reference}"
            job["reply_to"] = reply_to
        # Sent by the transactional worker, which may text and email residents (the API may not), and retries.
        self._jobs.put(job)
        answer = Answer(text=text, by=officer.sub, at=self._now(), channel=channel)
        self._store.add_answer(reply, answer)
        self._alerts.audit_answer(officer, reply.alert_id, reply.id, self._now())
        return {"id": reply.id, "state": ReplyState.HANDLED.value, "answer": vars(answer)}

    def _route(self, reply: Reply, resident: Any) -> tuple[str, Any]:
        """The channel and address an answer goes to: where the reply came from, or for a web reply the resident's
        verified email, else their verified mobile."""
        if reply.channel is ReplyChannel.SMS or reply.channel is ReplyChannel.EMAIL:
            record = resident.contact(reply.contact_hash)
        else:
            record = resident.verified(ContactKind.EMAIL) or resident.verified(ContactKind.MOBILE)
        if record is None or not record.verified_at:
            raise gone("The resident no longer has the contact this reply came from.")
        channel = "email" if record.kind == ContactKind.EMAIL.value else "sms"
        reason = self._suppressions.reason(record.hash)
        if reason in ("bounced", "complained", "erased") or (channel == "sms" and reason == SMS_STOPPED):
            raise gone(f"The resident's {mask(record.kind, record.address)} no longer takes our messages "
                       f"({reason}).")
        return channel, record

    def attachment(self, officer: Officer, reply_id: str, index: int) -> dict[str, Any]:
        """A five-minute download link for one file a resident attached to an emailed reply; officers and above
        only, and every one is audited."""
        reply = self._readable(officer, reply_id)
        if officer.role < Role.OFFICER:
            raise forbidden("Volunteers cannot open what residents attached: ask an officer.")
        kept = [a for a in reply.attachments if "key" in a]
        if not 0 <= index < len(kept) or self._attachments is None:
            raise HexwatchError("There is no such attachment.", [FieldError("/index", "not found")], 404, "NotFound")
        found = kept[index]
        self._alerts.audit_attachment(officer, reply.alert_id, reply.id, self._now())
        return {"name": found["name"], "type": found["type"], "bytes": found["bytes"], "expires_in": 300,
                "url": self._attachments.download_link(str(found["key"]), str(found["name"]), 300)}

    def _readable(self, officer: Officer, reply_id: str) -> Reply:
        reply = self._store.get(officer.organisation, reply_id)
        if reply is None or not self._may_read(officer, reply):
            raise no_such_reply()
        return reply

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds")

