"""What each role may do, who the registry says a user is, and who may change whose entry (domain/officers.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.officers import (
    OPERATOR,
    NotAnOfficer,
    Officer,
    Operator,
    RegistryEntry,
    Role,
    can_approve,
    can_approve_costly,
    check_registry_change,
    checked_scope,
    may_target_area,
    needs_approval,
    principal_from_entry,
)


def officer(role: Role, areas: tuple[str, ...] = (), organisation: str = "staffordshire") -> Officer:
    return Officer(sub="s1", username="someone@force.example", organisation=organisation, role=role, areas=areas,
                   whole_organisation=not areas)


def entry(**overrides: object) -> RegistryEntry:
    fields: dict[str, object] = {"sub": "s1", "username": "pc@force.example", "organisation": "staffordshire",
                                 "role": "officer", "areas": (), "whole_organisation": True}
    fields.update(overrides)
    return RegistryEntry(**fields)  # type: ignore[arg-type]


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


def test_a_whole_force_officer_may_target_any_area_of_their_force() -> None:
    whole = officer(Role.OFFICER)
    assert whole.whole_organisation
    assert may_target_area(whole, "stafford") and may_target_area(whole, "leek", "staffordshire")


def test_an_officer_with_areas_may_target_only_those() -> None:
    local = officer(Role.VOLUNTEER, ("leek", "stafford"))
    assert may_target_area(local, "leek") and may_target_area(local, "stafford", "staffordshire")
    assert not may_target_area(local, "tamworth")
    assert not may_target_area(local, "")


def test_no_areas_is_not_the_whole_force() -> None:
    nobody = Officer("s1", "x", "staffordshire", Role.ADMIN)
    assert not nobody.has_scope and not may_target_area(nobody, "stafford")


def test_an_area_of_another_force_is_never_allowed() -> None:
    assert not may_target_area(officer(Role.ADMIN), "stafford", "west-midlands")
    assert not may_target_area(officer(Role.OFFICER, ("stafford",)), "stafford", "west-midlands")


def test_the_registry_entry_makes_the_officer() -> None:
    found = principal_from_entry(entry(role="supervisor", areas=("stafford", "leek"), whole_organisation=False), True)
    assert found == Officer("s1", "pc@force.example", "staffordshire", Role.SUPERVISOR, ("leek", "stafford"), False)
    assert principal_from_entry(entry(role=OPERATOR, organisation=""), False) == Operator("s1", "pc@force.example")


@pytest.mark.parametrize(("registered", "known", "reason"), [
    (None, True, "not in the officer registry"),
    (entry(role="press-office"), True, "unknown role"),
    (entry(role="Admin"), True, "unknown role"),
    (entry(organisation="west-midlands"), False, "no known organisation"),
    (entry(organisation=""), True, "no known organisation"),
    (entry(areas=(), whole_organisation=False), True, "no scope"),
])
def test_entries_that_grant_nothing(registered: RegistryEntry | None, known: bool, reason: str) -> None:
    with pytest.raises(NotAnOfficer, match=reason):
        principal_from_entry(registered, known)


def test_scope_is_areas_or_the_whole_organisation_never_neither_nor_both() -> None:
    assert checked_scope({"areas": ["leek", "stafford", "leek"]}, ["leek", "stafford"]) == (("leek", "stafford"),
                                                                                           False)
    assert checked_scope({"whole_organisation": True}, []) == ((), True)
    for body, pointer in (({}, "/areas"), ({"areas": ["leek"], "whole_organisation": True}, "/areas"),
                          ({"areas": ["stafford", "atlantis"]}, "/areas/1"), ({"whole_organisation": False},
                                                                              "/areas")):
        with pytest.raises(HexwatchError) as refused:
            checked_scope(body, ["leek", "stafford"])
        assert refused.value.status == 400 and refused.value.errors[0].pointer == pointer


ADMIN = Officer("admin-1", "a@force.example", "staffordshire", Role.ADMIN, whole_organisation=True)


@pytest.mark.parametrize(("actor", "organisation", "role", "target", "current", "pointer"), [
    (ADMIN, "staffordshire", "admin", "admin-1", entry(sub="admin-1", role="admin"), "/username"),  # themselves
    (ADMIN, "west-midlands", "officer", "s2", None, "/organisation"),  # another force
    (ADMIN, "staffordshire", "officer", "s2", entry(sub="s2", organisation="west-midlands"), "/username"),
    (ADMIN, "staffordshire", "officer", "s2", entry(sub="s2", role=OPERATOR, organisation=""), "/username"),
    (Officer("sup", "s@f", "staffordshire", Role.SUPERVISOR, whole_organisation=True), "staffordshire", "officer",
     "s2", None, None),
    (Operator("op", "op@x"), "staffordshire", "officer", "op2", entry(sub="op2", role=OPERATOR), "/username"),
])
def test_who_may_not_change_a_registry_entry(actor: Officer | Operator, organisation: str, role: str, target: str,
                                             current: RegistryEntry | None, pointer: str | None) -> None:
    with pytest.raises(HexwatchError) as refused:
        check_registry_change(actor, organisation, role, target, current)
    assert refused.value.status == 403
    assert [e.pointer for e in refused.value.errors] == ([pointer] if pointer else [])


def test_who_may_change_a_registry_entry() -> None:
    check_registry_change(ADMIN, "staffordshire", "supervisor", "s2", entry(sub="s2"))
    check_registry_change(ADMIN, "staffordshire", "admin", "s3", None)
    check_registry_change(Operator("op", "op@x"), "west-midlands", "admin", "s4", entry(sub="s4"))
    with pytest.raises(HexwatchError, match="role does not exist"):
        check_registry_change(Operator("op", "op@x"), "west-midlands", OPERATOR, "s4", None)
