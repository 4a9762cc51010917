"""Officers, staff and volunteers: who they are, from their verified token's claims, and what each role may do.

Pure: the claims arrive already verified (adapters/cognito_jwt.py); nothing here knows about Cognito beyond the
claim names. A user's role is the highest of their `cognito:groups`; a user in no known group has no access at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class Role(IntEnum):
    """Ordered, so that `role >= Role.SUPERVISOR` reads as the rule it is. Values are the Cognito group names."""

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


class NotAnOfficer(Exception):
    """Verified claims that still grant nothing: no known group, or no organisation."""


@dataclass(frozen=True)
class Officer:
    sub: str
    username: str  # the sign-in name: the email address in a pool that signs in by email
    organisation: str
    role: Role
    areas: tuple[str, ...] = ()  # empty: the whole organisation

    @property
    def whole_organisation(self) -> bool:
        return not self.areas


def highest_role(groups: object) -> Role | None:
    if isinstance(groups, str):
        groups = [groups]  # a single group has been seen as a bare string in hand-made tokens
    if not isinstance(groups, (list, tuple)):
        return None
    roles = [role for role in (Role.from_group(g) for g in groups if isinstance(g, str)) if role is not None]
    return max(roles) if roles else None


def parse_areas(value: object) -> tuple[str, ...]:
    """`custom:areas` is a comma-separated list of area ids; blank entries are dropped, order and duplicates go."""
    if not isinstance(value, str):
        return ()
    return tuple(sorted({part.strip() for part in value.split(",") if part.strip()}))


def officer_from_claims(claims: Mapping[str, Any]) -> Officer:
    role = highest_role(claims.get("cognito:groups"))
    if role is None:
        raise NotAnOfficer("the user is in no known group")
    organisation = claims.get("custom:org")
    if not isinstance(organisation, str) or not organisation.strip():
        # Cognito puts custom attributes in ID tokens only (access tokens need a V2 pre-token-generation trigger),
        # and an officer without a force must not fall through to rules that compare forces.
        raise NotAnOfficer("the token names no organisation")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise NotAnOfficer("the token names no subject")
    username = next((str(claims[name]) for name in ("email", "cognito:username", "username")
                     if isinstance(claims.get(name), str) and claims[name]), sub)
    return Officer(sub=sub, username=username, organisation=organisation.strip(), role=role,
                   areas=parse_areas(claims.get("custom:areas")))


def needs_approval(officer: Officer) -> bool:
    """A volunteer's alert waits for someone who can approve it."""
    return officer.role is Role.VOLUNTEER


def can_approve(officer: Officer) -> bool:
    return officer.role >= Role.OFFICER


def can_approve_costly(officer: Officer) -> bool:
    """Alerts that cost money to send (SMS, voice) or reach very many residents need a supervisor or an admin."""
    return officer.role >= Role.SUPERVISOR


def may_target_area(officer: Officer, area_id: str, area_organisation: str | None = None) -> bool:
    """An area of the officer's own force that is on their list, or any of their force's areas if they have no list.

    Give `area_organisation` whenever it is known: an area of another force is never allowed, whatever its id.
    """
    if area_organisation is not None and area_organisation != officer.organisation:
        return False
    return officer.whole_organisation or area_id in officer.areas
