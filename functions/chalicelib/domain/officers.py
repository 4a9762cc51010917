"""Officers, staff and volunteers: who they are, what each role may do, and who may change whose scope.

Pure: nothing here knows about Cognito or DynamoDB. A signed-in user's organisation, role and permitted areas come
from the server-side officer registry (adapters/officer_registry.py), never from a token's claims: Cognito lets users
rewrite their own mutable attributes, so a claim such as `custom:org` proves nothing. The registry entry is managed by
the force's admins and by platform operators (api/registry.py), and every change is audited.

Scope is explicit: an entry says "whole organisation" or lists at least one area. An entry with neither grants nothing
(fail closed), so a mistake in the registry can only ever narrow what someone may do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from .errors import FieldError, HexwatchError, forbidden, invalid

# The platform operator runs Hexwatch for every force: registers organisations, sets their boundaries and appoints
# their first admin. It is not a rank within a force and sends nothing, so it is not a Role.
OPERATOR = "operator"
AREA_ID_MAX = 63


class Role(IntEnum):
    """Ordered, so that `role >= Role.SUPERVISOR` reads as the rule it is. Values are the registry's role names."""

    VOLUNTEER = 1
    OFFICER = 2
    SUPERVISOR = 3
    ADMIN = 4

    @property
    def group(self) -> str:
        return self.name.lower()

    @classmethod
    def from_group(cls, group: str) -> Role | None:
        return cls.__members__.get(group.upper()) if group.islower() else None


ROLE_NAMES = tuple(role.group for role in Role)


class NotAnOfficer(Exception):
    """A verified token whose user the registry does not let in: unknown, removed, unknown force, or no scope."""


@dataclass(frozen=True)
class Officer:
    sub: str
    username: str  # the sign-in name: the email address in a pool that signs in by email
    organisation: str
    role: Role
    areas: tuple[str, ...] = ()
    whole_organisation: bool = False  # explicit: an empty area list never means "everywhere"

    @property
    def has_scope(self) -> bool:
        return self.whole_organisation or bool(self.areas)


@dataclass(frozen=True)
class Operator:
    """A platform operator: manages organisations and their first admins; not an officer of any force."""

    sub: str
    username: str


@dataclass(frozen=True)
class RegistryEntry:
    """One signed-in user's standing, as the registry holds it (keyed by the user pool's immutable `sub`)."""

    sub: str
    username: str
    organisation: str  # "" for a platform operator
    role: str  # one of ROLE_NAMES, or OPERATOR
    areas: tuple[str, ...] = ()
    whole_organisation: bool = False
    updated_by: str = ""
    updated_at: str = ""

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR


def principal_from_entry(entry: RegistryEntry | None, organisation_known: bool) -> Officer | Operator:
    """Who the registry says this user is, or NotAnOfficer. Every doubt refuses."""
    if entry is None:
        raise NotAnOfficer("not in the officer registry")
    if entry.is_operator:
        return Operator(sub=entry.sub, username=entry.username)
    role = Role.from_group(entry.role)
    if role is None:
        raise NotAnOfficer(f"unknown role {entry.role!r}")
    if not entry.organisation or not organisation_known:
        raise NotAnOfficer("the registry names no known organisation")
    officer = Officer(sub=entry.sub, username=entry.username, organisation=entry.organisation, role=role,
                      areas=tuple(sorted(set(entry.areas))), whole_organisation=entry.whole_organisation)
    if not officer.has_scope:
        raise NotAnOfficer("the registry gives no scope: neither the whole organisation nor any area")
    return officer


def checked_scope(body: dict[str, object], known_areas: Iterable[str]) -> tuple[tuple[str, ...], bool]:
    """(areas, whole_organisation) from a registry request body: exactly one of the two, and only known areas."""
    whole = body.get("whole_organisation") is True
    areas = list(body.get("areas") or [])  # type: ignore[call-overload]
    if whole and areas:
        raise invalid("Give either areas or the whole organisation, not both.",
                      FieldError("/areas", "cannot be combined with whole_organisation"))
    if not whole and not areas:
        raise invalid("Say where this person may send: some areas, or the whole organisation.",
                      FieldError("/areas", "give at least one area, or whole_organisation: true"))
    known = set(known_areas)
    unknown = [FieldError(f"/areas/{index}", "is not one of the organisation's areas")
               for index, area in enumerate(areas) if area not in known]
    if unknown:
        raise invalid("Some areas are unknown.", *unknown)
    return tuple(sorted(set(areas))), whole


def check_registry_change(actor: Officer | Operator, organisation: str, role: str, target_sub: str,
                          current: RegistryEntry | None) -> None:
    """Who may write whose registry entry. Nobody widens themselves; admins act only within their own force."""
    if role not in ROLE_NAMES:
        raise invalid("That role does not exist.", FieldError("/role", "must be one of: " + ", ".join(ROLE_NAMES)))
    if isinstance(actor, Operator):
        if current is not None and current.is_operator:
            raise forbidden("Platform operators are managed outside the API.",
                            FieldError("/username", "is a platform operator"))
        return
    if actor.role < Role.ADMIN:
        raise forbidden("Only your force's admins can change who may send alerts.")
    if target_sub == actor.sub:
        raise forbidden("Nobody can change their own role or areas: ask another admin.",
                        FieldError("/username", "is you"))
    if organisation != actor.organisation:
        raise forbidden("You can manage only your own force's people.",
                        FieldError("/organisation", "is not your organisation"))
    if current is not None and (current.is_operator or current.organisation != actor.organisation):
        raise forbidden("That person belongs to another organisation.",
                        FieldError("/username", "belongs to another organisation"))


def needs_approval(officer: Officer) -> bool:
    """A volunteer's alert waits for someone who can approve it."""
    return officer.role is Role.VOLUNTEER


def can_approve(officer: Officer) -> bool:
    return officer.role >= Role.OFFICER


def can_approve_costly(officer: Officer) -> bool:
    """Alerts that cost money to send (SMS, voice) or reach very many residents need a supervisor or an admin."""
    return officer.role >= Role.SUPERVISOR


def may_target_area(officer: Officer, area_id: str, area_organisation: str | None = None) -> bool:
    """An area of the officer's own force on their list, or any of their force's areas for a whole-force officer.

    Give `area_organisation` whenever it is known: an area of another force is never allowed, whatever its id.
    """
    if area_organisation is not None and area_organisation != officer.organisation:
        return False
    return officer.whole_organisation or area_id in officer.areas


def not_in_registry() -> HexwatchError:
    return HexwatchError("There is no such person in the registry.", [FieldError("/username", "not found")], 404,
                         "NotFound")
