"""What each role may do, and how an officer is read from verified claims (domain/officers.py, no AWS)."""

from __future__ import annotations

import pytest

from chalicelib.domain.officers import (
    NotAnOfficer,
    Officer,
    Role,
    can_approve,
    can_approve_costly,
    highest_role,
    may_target_area,
    needs_approval,
    officer_from_claims,
    parse_areas,
)


def officer(role: Role, areas: tuple[str, ...] = (), organisation: str = "staffordshire") -> Officer:
    return Officer(sub="s1", username="someone@force.example", organisation=organisation, role=role, areas=areas)


def test_roles_are_ordered_from_volunteer_to_admin() -> None:
    assert Role.VOLUNTEER < Role.OFFICER < Role.SUPERVISOR < Role.ADMIN
    assert [role.group for role in Role] == ["volunteer", "officer", "supervisor", "admin"]


@pytest.mark.parametrize(("role", "needs", "approves", "approves_costly"), [
    (Role.VOLUNTEER, True, False, False),
    (Role.OFFICER, False, True, False),
    (Role.SUPERVISOR, False, True, True),
    (Role.ADMIN, False, True, True),
])
def test_permissions_by_role(role: Role, needs: bool, approves: bool, approves_costly: bool) -> None:
    assert needs_approval(officer(role)) is needs
    assert can_approve(officer(role)) is approves
    assert can_approve_costly(officer(role)) is approves_costly


def test_an_officer_without_areas_may_target_any_area_of_their_force() -> None:
    whole = officer(Role.OFFICER)
    assert whole.whole_organisation
    assert may_target_area(whole, "stafford") and may_target_area(whole, "leek", "staffordshire")


def test_an_officer_with_areas_may_target_only_those() -> None:
    local = officer(Role.VOLUNTEER, ("leek", "stafford"))
    assert may_target_area(local, "leek") and may_target_area(local, "stafford", "staffordshire")
    assert not may_target_area(local, "tamworth")
    assert not may_target_area(local, "")


def test_an_area_of_another_force_is_never_allowed() -> None:
    assert not may_target_area(officer(Role.ADMIN), "stafford", "west-midlands")
    assert not may_target_area(officer(Role.OFFICER, ("stafford",)), "stafford", "west-midlands")


def test_the_highest_known_group_wins_and_unknown_groups_count_for_nothing() -> None:
    assert highest_role(["volunteer", "admin", "officer"]) is Role.ADMIN
    assert highest_role(["press-office", "officer"]) is Role.OFFICER
    assert highest_role("supervisor") is Role.SUPERVISOR
    assert highest_role(["Admin", "ADMIN", " admin"]) is None  # Cognito group names are case-sensitive
    assert highest_role([]) is None and highest_role(None) is None and highest_role({"admin": 1}) is None


def test_areas_are_a_comma_separated_list() -> None:
    assert parse_areas("stafford, leek,,stafford ") == ("leek", "stafford")
    assert parse_areas("") == () and parse_areas(None) == () and parse_areas(["leek"]) == ()


def test_an_officer_from_claims() -> None:
    claims = {"sub": "s1", "email": "pc@force.example", "cognito:username": "s1", "custom:org": "staffordshire",
              "custom:areas": "leek", "cognito:groups": ["volunteer", "officer"]}
    assert officer_from_claims(claims) == Officer("s1", "pc@force.example", "staffordshire", Role.OFFICER, ("leek",))


@pytest.mark.parametrize(("claims", "reason"), [
    ({"sub": "s1", "custom:org": "staffordshire"}, "group"),
    ({"sub": "s1", "custom:org": "staffordshire", "cognito:groups": ["press-office"]}, "group"),
    ({"sub": "s1", "cognito:groups": ["admin"]}, "organisation"),
    ({"sub": "s1", "custom:org": "  ", "cognito:groups": ["admin"]}, "organisation"),
    ({"custom:org": "staffordshire", "cognito:groups": ["admin"]}, "subject"),
])
def test_claims_that_grant_nothing(claims: dict[str, object], reason: str) -> None:
    with pytest.raises(NotAnOfficer, match=reason):
        officer_from_claims(claims)
