"""Managing the officer registry and the organisations: who may act for which force, with which role and areas.

Force admins manage their own force's people (never themselves); platform operators register organisations and
appoint their first admins. Every change is written to the audit log of the organisation it concerns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..adapters.alerts_store import AuditEntry
from ..adapters.officer_registry import Organisation
from ..domain.errors import FieldError, HexwatchError, forbidden, invalid
from ..domain.officers import (
    OPERATOR,
    Officer,
    Operator,
    RegistryEntry,
    Role,
    check_registry_change,
    checked_scope,
    not_in_registry,
)
from .residents import iso

REGISTRY_TRAIL = "registry"  # the audit log's key for registry changes, beside each alert's own trail


class Registry(Protocol):
    def fresh_entry(self, sub: str) -> RegistryEntry | None: ...
    def put_entry(self, entry: RegistryEntry) -> None: ...
    def remove_entry(self, sub: str) -> None: ...
    def entries_of(self, organisation: str) -> list[RegistryEntry]: ...
    def organisation(self, organisation_id: str) -> Organisation | None: ...
    def put_organisation(self, organisation: Organisation) -> None: ...
    def organisations(self) -> list[Organisation]: ...


class Directory(Protocol):
    def sub_of(self, username: str) -> str | None: ...


class Audit(Protocol):
    def audit(self, entry: AuditEntry, at: str) -> None: ...


def entry_view(entry: RegistryEntry) -> dict[str, Any]:
    return {"username": entry.username, "organisation": entry.organisation or None, "role": entry.role,
            "areas": list(entry.areas), "whole_organisation": entry.whole_organisation,
            "updated_by": entry.updated_by, "updated_at": entry.updated_at}


def unknown_organisation(pointer: str = "/organisation") -> HexwatchError:
    return HexwatchError("There is no such organisation.", [FieldError(pointer, "is not a registered organisation")],
                         404, "NotFound")


class RegistryService:
    def __init__(self, *, registry: Registry, directory: Directory, audit: Audit,
                 area_ids: Callable[[str], Iterable[str]], clock: Callable[[], float]) -> None:
        self._registry = registry
        self._directory = directory
        self._audit = audit
        self._area_ids = area_ids
        self._clock = clock

    def _now(self) -> str:
        return iso(self._clock())

    def _record(self, organisation: str, actor: Officer | Operator, action: str, detail: dict[str, Any]) -> None:
        role = OPERATOR if isinstance(actor, Operator) else actor.role.group
        self._audit.audit(AuditEntry(organisation, REGISTRY_TRAIL, action, actor.sub, role, "recorded", None,
                                     json.dumps(detail, sort_keys=True)), self._now())

    def _organisation_for(self, actor: Officer | Operator, requested: str | None) -> str:
        if isinstance(actor, Operator):
            if not requested:
                raise invalid("Say which organisation.", FieldError("/organisation", "is required"))
            organisation = requested
        else:
            organisation = requested or actor.organisation
        if self._registry.organisation(organisation) is None:
            raise unknown_organisation()
        return organisation

    def set_officer(self, actor: Officer | Operator, username: str, body: dict[str, Any]) -> dict[str, Any]:
        """Creates or replaces one person's registry entry (the Cognito user must exist already)."""
        # Before any lookup, so that someone who may not manage the registry cannot learn who is in the pool.
        if not isinstance(actor, Operator) and actor.role < Role.ADMIN:
            raise forbidden("Only your force's admins can change who may send alerts.")
        organisation = self._organisation_for(actor, body.get("organisation"))
        sub = self._directory.sub_of(username)
        if sub is None:
            raise HexwatchError("There is no user with that sign-in name: create them in the user pool first.",
                                [FieldError("/username", "no such user")], 404, "NotFound")
        current = self._registry.fresh_entry(sub)
        check_registry_change(actor, organisation, str(body["role"]), sub, current)
        areas, whole = checked_scope(body, self._area_ids(organisation))
        entry = RegistryEntry(sub=sub, username=username, organisation=organisation, role=str(body["role"]),
                              areas=areas, whole_organisation=whole, updated_by=actor.sub, updated_at=self._now())
        self._registry.put_entry(entry)
        before = entry_view(current) if current else None
        self._record(organisation, actor, "officer.set", {"username": username, "before": before,
                                                           "after": entry_view(entry)})
        if current is not None and current.organisation and current.organisation != organisation:
            # Moved between forces by an operator: the force they left keeps a record too.
            self._record(current.organisation, actor, "officer.moved-out", {"username": username,
                                                                            "to": organisation})
        return entry_view(entry)

    def remove_officer(self, actor: Officer | Operator, username: str) -> None:
        sub = self._directory.sub_of(username)
        current = self._registry.fresh_entry(sub) if sub else None
        if sub is None or current is None:
            raise not_in_registry()
        if isinstance(actor, Operator):
            if current.is_operator:
                raise forbidden("Platform operators are managed outside the API.",
                                FieldError("/username", "is a platform operator"))
        else:
            if actor.role < Role.ADMIN:
                raise forbidden("Only your force's admins can change who may send alerts.")
            if current.organisation != actor.organisation:
                raise not_in_registry()  # another force's people are not even named to an admin
            if sub == actor.sub:
                raise forbidden("Nobody can remove themselves: ask another admin.", FieldError("/username", "is you"))
        self._registry.remove_entry(sub)
        self._record(current.organisation, actor, "officer.removed", {"username": username,
                                                                      "before": entry_view(current)})

    def list_officers(self, actor: Officer | Operator, organisation: str | None) -> dict[str, Any]:
        if not isinstance(actor, Operator) and actor.role < Role.ADMIN:
            raise forbidden("Only your force's admins can see the registry.")
        if isinstance(actor, Officer) and organisation not in (None, actor.organisation):
            raise forbidden("You can see only your own force's people.",
                            FieldError("/organisation", "is not your organisation"))
        chosen = self._organisation_for(actor, organisation)
        return {"organisation": chosen, "officers": [entry_view(e) for e in self._registry.entries_of(chosen)]}

    def set_organisation(self, actor: Officer | Operator, organisation: str, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(actor, Operator):
            raise forbidden("Only platform operators register organisations.")
        existing = self._registry.organisation(organisation)
        record = Organisation(organisation, str(body["name"]).strip(),
                              existing.created_by if existing else actor.sub,
                              existing.created_at if existing else self._now())
        self._registry.put_organisation(record)
        self._record(organisation, actor, "organisation.set", {"name": record.name, "new": existing is None})
        return {"organisation": organisation, "name": record.name, "created_at": record.created_at}

    def list_organisations(self, actor: Officer | Operator) -> dict[str, Any]:
        if not isinstance(actor, Operator):
            raise forbidden("Only platform operators list organisations.")
        return {"organisations": [{"organisation": o.id, "name": o.name, "created_at": o.created_at}
                                  for o in self._registry.organisations()]}

    def record_boundary(self, actor: Operator, organisation: str, positions: int) -> None:
        self._record(organisation, actor, "boundary.set", {"positions": positions})

    def require_organisation(self, organisation: str, pointer: str = "/organisation") -> None:
        if self._registry.organisation(organisation) is None:
            raise unknown_organisation(pointer)
