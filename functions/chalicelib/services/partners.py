"""Managing partner agencies: a force's admins register the partners their force works with (a platform operator may
do it for any force), set what each may send, and make and revoke its signing secrets. Every change is written to
the host force's registry audit trail; a secret's value never is, and is shown only once, when it is made.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from typing import Any, Protocol

from ..adapters.alerts_store import AuditEntry
from ..domain.errors import FieldError, HexwatchError, forbidden, invalid
from ..domain.officers import OPERATOR, Officer, Operator, Role
from ..domain.partners import MAX_ACTIVE_SECRETS, MODERATED, Partner, SigningSecret
from ..domain.webhooks import WebhookRefused, destination
from .registry import REGISTRY_TRAIL, unknown_organisation
from .residents import iso


class PartnerRegistry(Protocol):
    def partner(self, partner_id: str) -> Partner | None: ...
    def put_partner(self, partner: Partner, *, new: bool) -> None: ...
    def partners_of(self, host_force: str) -> list[Partner]: ...
    def organisation(self, organisation_id: str) -> Any: ...


class Audit(Protocol):
    def audit(self, entry: AuditEntry, at: str) -> None: ...


def partner_view(partner: Partner) -> dict[str, Any]:
    """Everything about a partner but its secrets' values."""
    return {"partner_id": partner.id, "name": partner.name, "partner_type": partner.partner_type,
            "host_force": partner.host_force, "categories": list(partner.categories),
            "channels": list(partner.channels), "areas": list(partner.areas), "whole_force": partner.whole_force,
            "trust": partner.trust, "secrets": [{"secret_id": s.id, "created_at": s.created_at}
                                                for s in partner.secrets],
            "webhook": {"url": partner.webhook_url, "events": list(partner.webhook_events)}
            if partner.webhook_url else None,
            "created_at": partner.created_at, "updated_at": partner.updated_at}


def no_such_partner() -> HexwatchError:
    return HexwatchError("There is no such partner.", [FieldError("/partner_id", "not found")], 404, "NotFound")


class PartnerService:
    def __init__(self, *, registry: PartnerRegistry, audit: Audit, area_ids: Callable[[str], Iterable[str]],
                 clock: Callable[[], float], new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
                 new_secret_id: Callable[[], str] = lambda: secrets.token_hex(4),
                 resolve: Callable[[str, int], list[str]] | None = None,
                 webhook_test_receivers: Collection[str] = ()) -> None:
        self._resolve = resolve
        self._test_receivers = webhook_test_receivers
        self._registry = registry
        self._audit = audit
        self._area_ids = area_ids
        self._clock = clock
        self._new_secret = new_secret
        self._new_secret_id = new_secret_id

    def _record(self, partner: Partner, actor: Officer | Operator, action: str, detail: dict[str, Any]) -> None:
        role = OPERATOR if isinstance(actor, Operator) else actor.role.group
        self._audit.audit(AuditEntry(partner.host_force, REGISTRY_TRAIL, action, actor.sub, role, "recorded", None,
                                     json.dumps({"partner_id": partner.id, **detail}, sort_keys=True)),
                          iso(self._clock()))

    @staticmethod
    def _require_manager(actor: Officer | Operator, host_force: str) -> None:
        if isinstance(actor, Operator):
            return
        if actor.role < Role.ADMIN:
            raise forbidden("Only your force's admins manage its partners.")
        if host_force != actor.organisation:
            raise forbidden("You can manage only your own force's partners.",
                            FieldError("/host_force", "is not your organisation"))

    def _managed(self, actor: Officer | Operator, partner_id: str) -> Partner:
        if not isinstance(actor, Operator) and actor.role < Role.ADMIN:
            raise forbidden("Only your force's admins manage its partners.")
        partner = self._registry.partner(partner_id)
        if partner is None or (isinstance(actor, Officer) and partner.host_force != actor.organisation):
            raise no_such_partner()  # another force's partners are not even named to an admin
        return partner

    def set_partner(self, actor: Officer | Operator, partner_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Registers a partner, or changes what it may send (its host force never changes)."""
        if isinstance(actor, Operator) and not body.get("host_force"):
            raise invalid("Say which force the partner works with.", FieldError("/host_force", "is required"))
        host = str(body.get("host_force") or (actor.organisation if isinstance(actor, Officer) else ""))
        self._require_manager(actor, host)
        if self._registry.organisation(host) is None:
            raise unknown_organisation("/host_force")
        areas, whole = self._scope(body, host)
        current = self._registry.partner(partner_id)
        if current is not None and current.host_force != host:
            raise HexwatchError("That partner belongs to another force.",
                                [FieldError("/host_force", "is not the partner's host force")], 409, "Conflict")
        webhook = body.get("webhook")
        if webhook:
            self._check_webhook(str(webhook["url"]))
        now = iso(self._clock())
        partner = Partner(id=partner_id, name=str(body["name"]).strip(), partner_type=str(body["partner_type"]),
                          host_force=host, categories=tuple(sorted(body["categories"])),
                          channels=tuple(sorted(body["channels"])), areas=areas, whole_force=whole,
                          trust=str(body.get("trust") or MODERATED), secrets=current.secrets if current else (),
                          webhook_url=str(webhook["url"]) if webhook else None,
                          webhook_events=tuple(sorted(webhook["events"])) if webhook else (),
                          created_by=current.created_by if current else actor.sub,
                          created_at=current.created_at if current else now, updated_at=now)
        self._registry.put_partner(partner, new=current is None)
        before = partner_view(current) if current else None
        self._record(partner, actor, "partner.set", {"before": before, "after": partner_view(partner)})
        return partner_view(partner)

    def _check_webhook(self, url: str) -> None:
        """The URL must be https and resolve only to public addresses now, as at each delivery."""
        if self._resolve is None:
            raise invalid("Webhooks cannot be set here.", FieldError("/webhook", "no resolver"))
        try:
            destination(url, self._resolve, self._test_receivers)
        except WebhookRefused as refusal:
            raise invalid("Hexwatch will not call that webhook address.",
                          FieldError("/webhook/url", str(refusal))) from None

    def _scope(self, body: dict[str, Any], host: str) -> tuple[tuple[str, ...], bool]:
        whole = body.get("whole_force") is True
        areas = list(body.get("areas") or [])
        if whole == bool(areas):
            raise invalid("Say where the partner may send: some of the force's areas, or the whole force.",
                          FieldError("/areas", "give at least one area, or whole_force: true, not both"))
        known = set(self._area_ids(host))
        unknown = [FieldError(f"/areas/{index}", "is not one of the force's areas")
                   for index, area in enumerate(areas) if area not in known]
        if unknown:
            raise invalid("Some areas are unknown.", *unknown)
        return tuple(sorted(set(areas))), whole

    def get_partner(self, actor: Officer | Operator, partner_id: str) -> dict[str, Any]:
        return partner_view(self._managed(actor, partner_id))

    def list_partners(self, actor: Officer | Operator, host_force: str | None) -> dict[str, Any]:
        if isinstance(actor, Operator) and not host_force:
            raise invalid("Say which force.", FieldError("/host_force", "is required"))
        host = host_force or (actor.organisation if isinstance(actor, Officer) else "")
        self._require_manager(actor, host)
        return {"host_force": host, "partners": [partner_view(p) for p in self._registry.partners_of(host)]}

    def add_secret(self, actor: Officer | Operator, partner_id: str) -> dict[str, Any]:
        """A new signing secret, shown this once. With two active, one must be revoked first."""
        partner = self._managed(actor, partner_id)
        if len(partner.secrets) >= MAX_ACTIVE_SECRETS:
            raise HexwatchError(f"A partner has at most {MAX_ACTIVE_SECRETS} secrets: revoke the old one first.",
                                [FieldError("/secrets", f"has {MAX_ACTIVE_SECRETS} already")], 409, "Conflict")
        made = SigningSecret(self._new_secret_id(), self._new_secret(), iso(self._clock()))
        changed = replace(partner, secrets=(*partner.secrets, made), updated_at=made.created_at)
        self._registry.put_partner(changed, new=False)
        self._record(partner, actor, "partner.secret-added", {"secret_id": made.id})
        return {"partner_id": partner.id, "secret_id": made.id, "secret": made.secret, "created_at": made.created_at,
                "note": "Keep this secret safe: it is not shown again."}

    def revoke_secret(self, actor: Officer | Operator, partner_id: str, secret_id: str) -> dict[str, Any]:
        partner = self._managed(actor, partner_id)
        if secret_id not in {s.id for s in partner.secrets}:
            raise HexwatchError("The partner has no such secret.", [FieldError("/secret_id", "not found")], 404,
                                "NotFound")
        changed = replace(partner, secrets=tuple(s for s in partner.secrets if s.id != secret_id),
                          updated_at=iso(self._clock()))
        self._registry.put_partner(changed, new=False)
        self._record(partner, actor, "partner.secret-revoked", {"secret_id": secret_id})
        return partner_view(changed)
