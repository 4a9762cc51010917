"""Alerts that partner agencies raise through their signed webhook, and what they may read back about them.

The order of the checks is the order of what each costs us and what a caller may learn: the partner must exist and
the signature must hold (401, the same answer for both) before anything else is looked at; then the partner's rate
(429); then the Idempotency-Key (400); then the body (400 by JSON pointer, 413 before that); then what the partner may
send (403). Only then is the key claimed and the alert made, and a replay of the key finds that same alert.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from ..adapters.alerts_store import AlertStore
from ..domain import alerts as alert_rules
from ..domain import partners as partner_rules
from ..domain.alerts import Alert, Content, Source, Status, utc_text
from ..domain.partners import Partner
from ..domain.progress import Progress
from .alert_previews import JobQueue, Limiter
from .alert_rendering import check_renderings
from .alerts import AlertSettings, not_found, queue_plan
from .targets import TargetResolver


class Partners(Protocol):
    def partner(self, partner_id: str) -> Partner | None: ...


class RequestKeys(Protocol):
    def claim(self, partner_id: str, key: str, digest: str, alert_id: str) -> str: ...


def partner_view(alert: Alert, progress: Progress | None = None) -> dict[str, Any]:
    """What a partner reads of its own alert: where it has got to and, if an officer refused it, why. Never the
    audience, the approver or the force's notes."""
    moderation = alert.moderation or {}
    pending = alert.status is Status.PENDING_APPROVAL
    outcome = "pending" if pending else moderation.get("outcome") or "not_moderated"
    shown: dict[str, Any] = {"id": alert.id, "status": alert.status.value, "moderation": outcome,
                             "partner_reference": alert.source.partner_reference,
                             "created_at": utc_text(alert.created_at)}
    if moderation.get("reason"):
        shown["reason"] = moderation["reason"]
    if alert.send_at:
        shown["send_at"] = utc_text(alert.send_at)
    if alert.duplicate_of:
        # The same appeal went out before from another sender: the residents it reached are not sent this one.
        shown["duplicate_of"] = list(alert.duplicate_of)
    if progress is not None and progress.targeted:
        shown["already_reached"] = progress.already_reached_residents
    return shown


class PartnerAlertService:
    def __init__(self, *, partners: Partners, keys: RequestKeys, store: AlertStore, resolver: TargetResolver,
                 jobs: JobQueue, limiter: Limiter, settings: AlertSettings, clock: Callable[[], float] = time.time,
                 new_id: Callable[[], str], progress: Callable[[str], Progress] | None = None) -> None:
        self._progress = progress
        self._partners = partners
        self._keys = keys
        self._store = store
        self._resolver = resolver
        self._jobs = jobs
        self._limiter = limiter
        self._settings = settings
        self._clock = clock
        self._new_id = new_id

    def signed_partner(self, partner_id: str, signature: str | None, payload: bytes) -> Partner:
        """The partner that signed this payload, or 401: an unknown partner is answered as a bad signature."""
        partner = self._partners.partner(partner_id)
        partner_rules.verify(signature, payload, partner.secrets if partner else (), self._clock())
        assert partner is not None  # verify refuses every signature when there are no secrets
        return partner

    def check_rate(self, partner: Partner) -> None:
        self._limiter.check("partner.alerts", partner.id)

    def receive(self, partner: Partner, key_header: str | None, raw: bytes,
                read_body: Callable[[bytes], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        """(201, the new alert) or (200, the alert this key made before)."""
        self.check_rate(partner)
        key = partner_rules.idempotency_key(key_header)
        body = read_body(raw)
        partner_rules.check_scope(partner, body)
        return self.claim_and_submit(partner, body, key, partner_rules.body_digest(raw))

    def claim(self, partner: Partner, key: str, digest: str, alert_id: str) -> str:
        return self._keys.claim(partner.id, key, digest, alert_id)

    def claim_and_submit(self, partner: Partner, body: dict[str, Any], key: str,
                         digest: str) -> tuple[int, dict[str, Any]]:
        """Claims the key for a new alert id and makes the alert; a key claimed before answers with its alert (or
        finishes making it, when the request that claimed it died first)."""
        alert_id = self.claim(partner, key, digest, self._new_id())
        found = self._store.get(partner.host_force, alert_id)
        if found is not None:
            return 200, partner_view(found[0])
        return self._submit(partner, body, alert_id, key)

    def _submit(self, partner: Partner, body: dict[str, Any], alert_id: str, key: str) -> tuple[int, dict[str, Any]]:
        principal = partner.principal()
        now = datetime.fromtimestamp(self._clock(), UTC)
        source = Source("partner", partner.host_force, principal.sub, key, partner.partner_type, partner.name)
        alert = alert_rules.new_alert(alert_id, body, source, now)
        for language, words in (body.get("translations") or {}).items():
            alert.content[language] = Content(words["title"].strip(), words["body"].strip())  # the partner's own
        _, alert.frozen_scope = self._resolver.resolve_and_freeze(principal, alert.target)
        check_renderings(alert, self._settings.sender_of(alert), self._settings.links,
                         self._settings.sms_max_segments)
        alert.sent_by, alert.sent_by_role = principal.sub, principal.role.group
        alert.move(alert_rules.status_when_sent(principal, alert, False, now), principal.sub, now)
        if not self._store.create_new(alert, principal.sub):
            found = self._store.get(partner.host_force, alert_id)  # a concurrent request with this key made it first
            if found is None:
                raise RuntimeError(f"alert {alert_id} exists and cannot be read")
            return 200, partner_view(found[0])
        self._store.record_action(alert, "partner.submit", principal.sub, "partner", utc_text(now), None,
                                  f"{partner.name} ({partner.partner_type}, {partner.trust})")
        queue_plan(self._jobs, alert, now)
        return 201, partner_view(alert)

    def read(self, partner: Partner, alert_id: str) -> dict[str, Any]:
        found = self._store.get(partner.host_force, alert_id)
        if found is None or found[0].source.partner != partner.id:
            raise not_found(alert_id)  # another sender's alert is not even named
        return partner_view(found[0], self._progress(alert_id) if self._progress else None)
