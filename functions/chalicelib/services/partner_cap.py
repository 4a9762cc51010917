"""CAP 1.2 messages from partners: Alert, Update and Cancel, on top of the JSON webhook's checks and idempotency.

A CAP message's idempotency key is its own `sender,identifier` (no header needed). `references` name earlier messages
the same way, and each must be one of this partner's alerts.

- An **Alert** becomes a partner alert, as a JSON body would.
- An **Update** becomes an alert of type `update` that refers to the original. It goes to the original's target
  unless it gives areas of its own, and so reaches the original's residents (less those who left or moved since,
  plus any who joined there).
- A **Cancel** stops every referenced alert not yet sent (a scheduled one never goes, a sending one stops what is not
  yet sent). With an `info` block, that text goes to the original's target as an alert of type `cancel`; without
  one, the Cancel only stops sends, and its answer is the first original's status.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from ..adapters.alerts_store import AlertStore
from ..domain import cap
from ..domain import partners as partner_rules
from ..domain.alerts import Alert, Status, utc_text
from ..domain.errors import HexwatchError
from ..domain.partners import Partner
from .partner_alerts import PartnerAlertService, partner_view

STOPPABLE = (Status.DRAFT, Status.PENDING_APPROVAL, Status.SCHEDULED, Status.SENDING, Status.PAUSED)


class KeyLookup(Protocol):
    def lookup(self, partner_id: str, key: str) -> str | None: ...


class Cancellations(Protocol):
    def cancelled(self, alert: Alert, was: Status) -> None: ...


class CapReceiver:
    def __init__(self, *, alerts: PartnerAlertService, keys: KeyLookup, store: AlertStore,
                 clock: Callable[[], float], events: Cancellations | None = None) -> None:
        self._events = events
        self._alerts = alerts
        self._keys = keys
        self._store = store
        self._clock = clock

    def receive(self, partner: Partner, raw: bytes,
                validate: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        self._alerts.check_rate(partner)
        message = cap.parse(raw)
        if message.status != "Actual":
            raise cap.refused("/alert/status", "only Actual messages reach residents (not Exercise, System, Test "
                                               "or Draft)")
        if message.msg_type not in ("Alert", "Update", "Cancel"):
            raise cap.refused("/alert/msgType", "must be Alert, Update or Cancel")
        try:
            key = partner_rules.idempotency_key(message.key)
        except HexwatchError:
            raise cap.refused("/alert/identifier", "sender and identifier must be printable ASCII without "
                                                   "spaces, 255 characters at most together") from None
        digest = hashlib.sha256(raw).hexdigest()
        originals = [self._original(partner, sender, identifier, n)
                     for n, (sender, identifier, _) in enumerate(message.references)]
        if message.msg_type != "Alert" and not originals:
            raise cap.refused("/alert/references", "an Update or Cancel must name the message it follows")
        info = cap.primary_info(message)
        if message.msg_type == "Cancel":
            return self._cancel(partner, message, info, originals, key, digest, validate)
        if info is None:
            raise cap.refused("/alert/info", "is needed: an Alert or Update carries its words in an info block")
        body, where = self._body(partner, message, info, originals[0] if originals else None, validate)
        if originals:
            body.update(type="update", references=[alert.id for alert in originals])
        return self._submit(partner, body, where, key, digest)

    def _submit(self, partner: Partner, body: dict[str, Any], where: dict[str, str], key: str,
                digest: str) -> tuple[int, dict[str, Any]]:
        try:
            return self._alerts.claim_and_submit(partner, body, key, digest)
        except HexwatchError as error:
            raise cap.renamed(error, where) from None  # the target's checks name the CAP area they came from

    def _body(self, partner: Partner, message: cap.CapMessage, info: cap.CapInfo, original: Alert | None,
              validate: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
        """The partner-alert body of the primary info, valid and within the partner's scope, with the other
        languages' words as `translations` (each checked as that language's body would be)."""
        original_target = original.target if original is not None and not info.areas else None
        body, where = self._mapped(message, info, partner, original_target)
        try:
            checked = validate(body)
            partner_rules.check_scope(partner, checked)
        except HexwatchError as error:
            raise cap.renamed(error, where) from None
        translations = {}
        for other in message.infos:
            language = other.language.split("-")[0].lower()
            if other is info or language == checked.get("language") or language in translations:
                continue
            words, other_where = self._mapped(message, other, partner, checked["target"])
            try:
                validate({**checked, "title": words["title"], "body": words["body"], "language": language})
            except HexwatchError as error:
                raise cap.renamed(error, other_where) from None
            translations[language] = {"title": words["title"], "body": words["body"]}
        if translations:
            checked["translations"] = translations
        return checked, where

    @staticmethod
    def _mapped(message: cap.CapMessage, info: cap.CapInfo, partner: Partner,
                original_target: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
        # An Update or Cancel notice without areas goes where the original went.
        return cap.alert_body(message, info, list(partner.channels), original_target)

    def _original(self, partner: Partner, sender: str, identifier: str, index: int) -> Alert:
        alert_id = self._keys.lookup(partner.id, f"{sender},{identifier}")
        found = self._store.get(partner.host_force, alert_id) if alert_id else None
        if found is None or found[0].source.partner != partner.id:
            raise cap.refused("/alert/references", f"reference {index + 1} names no alert of this partner (of the "
                                                   "last 30 days)")
        return found[0]

    def _cancel(self, partner: Partner, message: cap.CapMessage, info: cap.CapInfo | None, originals: list[Alert],
                key: str, digest: str,
                validate: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        notice = None
        if info is not None:
            notice, where = self._body(partner, message, info, originals[0], validate)
            notice.update(type="cancel", references=[alert.id for alert in originals])
        for original in originals:
            self._stop(partner, original)
        if notice is not None:
            return self._submit(partner, notice, where, key, digest)
        # Nothing new to send: the key stands for the first original, so a replay answers the same.
        self._alerts.claim(partner, key, digest, originals[0].id)
        found = self._store.get(partner.host_force, originals[0].id)
        return 200, partner_view(found[0] if found else originals[0])

    def _stop(self, partner: Partner, original: Alert) -> None:
        found = self._store.get(partner.host_force, original.id)
        if found is None or found[0].status not in STOPPABLE:
            return  # sent already, or cancelled before: nothing left to stop
        alert, item = found
        was = alert.status
        now = datetime.fromtimestamp(self._clock(), UTC)
        alert.move(Status.CANCELLED, partner_rules.partner_user(partner.id), now, reason="CAP Cancel")
        self._store.save(alert, item, utc_text(now))
        self._store.record_action(alert, "partner.cancel", partner_rules.partner_user(partner.id), "partner",
                                  utc_text(now), None, "what was not yet sent is stopped")
        if self._events is not None:
            self._events.cancelled(alert, was)
