"""Texts residents send to the two-way number: STOP, START and replies (domain/sms_replies.py reads which).

- STOP (STOPALL, UNSUBSCRIBE, END, CANCEL): the number's SMS are suppressed (`sms_stopped`: calls to it go on), SMS
  leaves its owner's chosen channels, one text confirms it, and the number joins the provider's opt-out list. The
  confirmation goes before the mirror, because the provider refuses texts to a number on its list.
- START: lifts a STOP (or an opt-out of everything) and puts SMS back among the owner's channels, confirmed by one
  text, and the number leaves the provider's list. The provider lets a number back in once in 30 days, so a START
  sooner is answered with the day it may be sent again.
- A reply: matched to the newest alert that reached the number by SMS, and stored for that alert's team. A bare
  option number answers that alert's survey instead (services/surveys.py), when it asks one with that option. A text
  from a number no alert reached is dropped, with a metric and no answer: answering strangers costs money anyone
  could make us spend.

The number is never logged; the service answers a short outcome word for the log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from ..domain.contacts import ContactHasher
from ..domain.errors import HexwatchError
from ..domain.replies import REPLY_RETENTION_SECONDS, Reply, ReplyChannel, reply_id
from ..domain.sms_replies import (
    SMS_STARTED,
    SMS_STOPPED,
    InboundSmsEvent,
    SmsIntent,
    next_opt_in,
    start_too_soon_text,
    started_text,
    stopped_text,
)
from .replies import reply_context

STARTABLE = (SMS_STOPPED, "opted_out")  # what a START lifts; a bounce or an erasure it does not


class OptRecords(Protocol):
    def state(self, contact_hash: str) -> Any: ...

    def stop(self, contact_hash: str, at: str, command_id: str) -> bool: ...

    def start(self, contact_hash: str, at: str, now: float, command_id: str, lifts: tuple[str, ...]) -> bool: ...

    def claim_command(self, contact_hash: str, command_id: str) -> bool: ...


class OptOutList(Protocol):
    def opt_out(self, number: str) -> None: ...

    def opt_in(self, number: str) -> None: ...


class Texter(Protocol):
    def publish(self, to: str, text: str) -> str: ...


@dataclass(frozen=True)
class InboundSettings:
    service_name: str = "Community Alerts"  # the number serves every force on the deployment


class InboundSmsService:
    def __init__(self, *, hasher: ContactHasher, records: OptRecords, opt_out_list: OptOutList, residents: Any,
                 ledger: Any, replies: Any, alerts: Any, sms: Texter, metric: Callable[[str], None],
                 clock: Callable[[], float], settings: InboundSettings | None = None, surveys: Any = None) -> None:
        self._surveys = surveys
        self._hasher = hasher
        self._records = records
        self._opt_out_list = opt_out_list
        self._residents = residents
        self._ledger = ledger
        self._replies = replies
        self._alerts = alerts
        self._sms = sms
        self._metric = metric
        self._clock = clock
        self._settings = settings or InboundSettings()

    def handle(self, event: InboundSmsEvent, received_at: float) -> str:
        try:
            contact_hash = self._hasher.mobile(event.from_number).hash
        except HexwatchError:
            self._metric("InboundSmsUnreadableNumber")
            return "unreadable-number"
        if event.sms.intent is SmsIntent.OPT_OUT:
            return self._stop(event, contact_hash)
        if event.sms.intent is SmsIntent.OPT_IN:
            return self._start(event, contact_hash)
        return self._reply(event, contact_hash, received_at)

    # --- STOP and START ----------------------------------------------------------------------------------------------

    def _stop(self, event: InboundSmsEvent, contact_hash: str) -> str:
        changed = self._records.stop(contact_hash, self._now_text(), event.message_id)
        self._set_sms_channel(contact_hash, wanted=False)
        if changed:
            self._sms.publish(event.from_number, stopped_text(self._settings.service_name))
        self._opt_out_list.opt_out(event.from_number)
        self._metric("SmsStopped")
        return "stopped" if changed else "stopped-already"

    def _start(self, event: InboundSmsEvent, contact_hash: str) -> str:
        now = self._clock()
        state = self._records.state(contact_hash)
        if state.reason not in STARTABLE:
            # Nothing stopped (or a bounce, or an erasure, which a text cannot undo): only an owner who had turned SMS
            # off on the web gets it back. No answer: it costs a text, and there is nothing to confirm.
            if state.reason == SMS_STARTED:
                self._opt_out_list.opt_in(event.from_number)  # again: a START that died before mirroring is finished
            return "started" if self._set_sms_channel(contact_hash, wanted=True) else "start-ignored"
        resume_at = next_opt_in(state.opted_in_at, now)
        if resume_at is not None:
            if self._records.claim_command(contact_hash, event.message_id):
                day = datetime.fromtimestamp(resume_at, UTC).strftime("%-d %B %Y")
                self._sms.publish(event.from_number, start_too_soon_text(self._settings.service_name, day))
            return "start-too-soon"
        # The provider's list first: a START that dies after it and before our record is simply done again.
        self._opt_out_list.opt_in(event.from_number)
        changed = self._records.start(contact_hash, self._now_text(), now, event.message_id, STARTABLE)
        if not changed:
            return "started-already"
        self._set_sms_channel(contact_hash, wanted=True)
        self._sms.publish(event.from_number, started_text(self._settings.service_name))
        self._metric("SmsStarted")
        return "started"

    def _set_sms_channel(self, contact_hash: str, wanted: bool) -> bool:
        """Takes SMS off (or puts it back on) the channels of the resident who owns this verified number; True when
        it changed anything."""
        owner = self._residents.contact_owner(contact_hash)
        if owner is None or not owner.verified:
            return False
        resident = self._residents.get(owner.resident_id)
        if resident is None or resident.contact(contact_hash) is None or ("sms" in resident.channels) == wanted:
            return False
        previous = replace(resident, locations=list(resident.locations))
        resident.channels = [*resident.channels, "sms"] if wanted else [c for c in resident.channels if c != "sms"]
        if wanted and resident.status == "opted_out":
            resident.status = "active"
        resident.updated_at = self._now_text()
        self._residents.save(resident, previous)
        return True

    # --- replies -----------------------------------------------------------------------------------------------------

    def _reply(self, event: InboundSmsEvent, contact_hash: str, received_at: float) -> str:
        found = self._ledger.latest_reached(contact_hash, "sms")
        if found is None:
            self._metric("RepliesUnmatched")
            return "no-alert"
        alert_id, resident_id = found
        context = reply_context(self._ledger, self._alerts, alert_id)
        if context is None:
            self._metric("RepliesUnmatched")
            return "no-alert"
        if event.sms.intent is SmsIntent.ANSWER and self._surveys is not None:
            # A bare number answers the alert's survey, if it asks one with that many options; else it is a reply.
            answered = self._surveys.answer_by_sms(context.organisation, alert_id, resident_id,
                                                   int(event.sms.option or 0))
            if answered:
                self._metric("SurveyAnswers")
                return answered
        reply = Reply(organisation=context.organisation, id=reply_id(received_at, f"sms:{event.message_id}"),
                      alert_id=alert_id, resident_id=resident_id, channel=ReplyChannel.SMS, text=event.sms.text,
                      received_at=_iso(received_at), contact_hash=contact_hash, areas=context.areas,
                      sender=context.sender, truncated=event.sms.truncated)
        stored = self._replies.add(reply, int(received_at) + REPLY_RETENTION_SECONDS)
        self._metric("RepliesReceived")
        return "reply-stored" if stored else "reply-duplicate"

    def _now_text(self) -> str:
        return _iso(self._clock())


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
