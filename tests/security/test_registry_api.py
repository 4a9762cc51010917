"""Managing the officer registry: changes take effect for the person at once in this process (within 60 s anywhere),
removal shuts them out, every change is audited, and a boundary cannot be moved out from under a force's areas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.alerts_store import AlertStore
from chalicelib.adapters.officer_registry import OfficerRegistry
from tests.integration.alert_helpers import AlertStack, serving_alert_stack


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def test_an_admin_narrows_a_volunteer_and_then_removes_them_and_both_are_audited(stack: AlertStack) -> None:
    volunteer = "demo-volunteer@hexwatch.example"
    narrowed = stack.call("PUT", f"/v1/officers/{volunteer}", "admin", {"role": "volunteer", "areas": ["stafford"]})
    assert narrowed.status_code == 200, narrowed.body
    assert body(narrowed)["areas"] == ["stafford"] and body(narrowed)["whole_organisation"] is False
    me = body(stack.call("GET", "/v1/officer/me", "volunteer"))
    assert me["areas"] == ["stafford"] and me["whole_organisation"] is False  # the same token, the new scope
    listed = body(stack.call("GET", "/v1/officers", "admin"))["officers"]
    assert {e["username"]: e["areas"] for e in listed}[volunteer] == ["stafford"]

    assert stack.call("DELETE", f"/v1/officers/{volunteer}", "admin").status_code == 204
    assert stack.call("GET", "/v1/officer/me", "volunteer").status_code == 401
    assert stack.call("DELETE", f"/v1/officers/{volunteer}", "admin").status_code == 404

    trail = AlertStore().audit_trail("staffordshire", "registry")
    actions = [(entry["action"], json.loads(entry["detail"])["username"]) for entry in trail]
    assert actions == [("officer.set", volunteer), ("officer.removed", volunteer)]
    first = json.loads(trail[0]["detail"])
    assert first["before"]["whole_organisation"] is True and first["after"]["areas"] == ["stafford"]
    assert trail[0]["actor_role"] == "admin"


def test_an_operator_registers_a_force_and_cannot_strand_its_areas_outside_the_boundary(stack: AlertStack) -> None:
    assert stack.call("PUT", "/v1/organisations/west-mercia", "operator", {"name": "West Mercia Police"}) \
        .status_code == 200
    organisations = body(stack.call("GET", "/v1/organisations", "operator"))["organisations"]
    assert {"west-mercia", "staffordshire"} <= {o["organisation"] for o in organisations}
    tiny = {"type": "Polygon", "coordinates": [[[-2.13, 52.79], [-2.10, 52.79], [-2.10, 52.82], [-2.13, 52.82],
                                                [-2.13, 52.79]]]}
    before = body(stack.call("GET", "/v1/areas", "admin"))
    refused = stack.call("PUT", "/v1/organisations/staffordshire/boundary", "operator", {"geometry": tiny})
    assert refused.status_code == 400 and body(refused)["errors"][0]["pointer"] == "/geometry"
    assert body(stack.call("GET", "/v1/areas", "admin")) == before
    unknown = stack.call("PUT", "/v1/organisations/atlantis/boundary", "operator", {"geometry": tiny})
    assert unknown.status_code == 404 and body(unknown)["errors"][0]["pointer"] == "/organisation"


def test_the_registry_is_reread_after_a_minute_not_before() -> None:
    """The authorizer's cache: a removal made by another process takes effect within 60 s."""
    client = boto3.client("dynamodb", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    now = [1000.0]
    registry = OfficerRegistry(client, "t-officers", "t-organisations", clock=lambda: now[0])
    item = {"sub": {"S": "s1"}, "username": {"S": "pc@f"}, "organisation": {"S": "staffordshire"},
            "role": {"S": "officer"}, "whole_organisation": {"BOOL": True}}
    with Stubber(client) as stubber:
        expected = {"TableName": "t-officers", "Key": {"sub": {"S": "s1"}}, "ConsistentRead": True}
        stubber.add_response("get_item", {"Item": item}, expected)
        stubber.add_response("get_item", {}, expected)
        assert registry.entry("s1") is not None
        now[0] += 59
        assert registry.entry("s1") is not None  # cached: no second call yet
        now[0] += 2
        assert registry.entry("s1") is None  # reread after 60 s: removed
        stubber.assert_no_pending_responses()


def test_a_boundary_over_the_position_cap_is_refused_before_the_schema_reads_it(stack: AlertStack) -> None:
    import math
    import time

    ring = [[round(-2.1 + 0.3 * math.cos(2 * math.pi * k / 60_000), 6), round(52.8 + 0.2 * math.sin(
        2 * math.pi * k / 60_000), 6)] for k in range(60_000)]
    started = time.perf_counter()
    refused = stack.call("PUT", "/v1/organisations/staffordshire/boundary", "operator",
                         {"geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}})
    print(f"60,001-position boundary refused in {time.perf_counter() - started:.2f} s")
    assert refused.status_code == 400 and body(refused)["errors"][0]["pointer"] == "/geometry/coordinates"


def test_a_sign_in_name_cognito_could_never_hold_is_no_such_user_not_a_500() -> None:
    from chalicelib.adapters.officer_registry import CognitoDirectory

    client = boto3.client("cognito-idp", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_client_error("admin_get_user", "InvalidParameterException", expected_params={
            "UserPoolId": "pool", "Username": "\u2028" * 3})
        stubber.add_client_error("admin_get_user", "UserNotFoundException")
        assert CognitoDirectory(client, "pool").sub_of("\u2028" * 3) is None
        assert CognitoDirectory(client, "pool").sub_of("nobody@force.example") is None
