"""The worker's second line of defence: an alert reaches nobody outside what its sender (and approver) could reach
when they sent (approved) it, even if its stored target is later widened behind the API's back."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib import bootstrap
from chalicelib.domain.scope import FrozenScope
from infra.local import seed
from infra.local.token import id_token
from tests.integration.alert_helpers import STAFFORD, AlertStack, alert_body, alert_stack, offset

NEAR_TOP = offset(*STAFFORD, 3200, 0)  # inside the demo Stafford area (a 4 km ring), close to its northern edge


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    alerts, client = alert_stack(emulator, fresh_stack)
    user = seed.seed_officers(alerts.outputs["user_pool_id"], endpoint=emulator.endpoint,
                              roles={"stafford-officer": ["officer"]}, areas={"stafford-officer": ["stafford"]})[0]
    alerts.tokens["stafford-officer"] = id_token(
        emulator.endpoint, emulator.region, alerts.outputs["user_pool_id"], alerts.outputs["user_pool_client_id"],
        user["username"], user["password"], totp_secret=user["totp_secret"])
    with client:
        yield alerts
    bootstrap.reset()


def test_a_widened_target_still_reaches_only_the_frozen_scope(stack: AlertStack) -> None:
    inside = stack.resident(*offset(*NEAR_TOP, 300, 0), ["email"])
    outside = stack.resident(*offset(*STAFFORD, 4600, 0), ["email"])  # beyond the Stafford area, in the force
    body = alert_body(channels=["email"], target={"type": "circle", "radius_m": 600,
                                                  "center": {"lat": NEAR_TOP[0], "lng": NEAR_TOP[1]}})
    created = stack.call("POST", "/v1/alerts", "stafford-officer", body)
    assert created.status_code == 201, created.body
    alert_id = json.loads(created.body)["id"]
    # Someone with write access to the table widens the target to 3 km before the worker reads it.
    store = bootstrap.alert_service()._store
    alert, item = store.get("staffordshire", alert_id)  # type: ignore[misc]
    alert.target = {"type": "circle", "center": {"lat": NEAR_TOP[0], "lng": NEAR_TOP[1]}, "radius_m": 3000}
    store.save(alert, item, "2026-12-02T00:00:00Z")
    sent = stack.call("POST", f"/v1/alerts/{alert_id}/send", "stafford-officer", {})
    # The send itself re-checks the (now wider) target against the officer's areas and refuses it.
    assert sent.status_code == 403 and json.loads(sent.body)["errors"][0]["pointer"] == "/target/center"

    # So tamper after the send instead: the frozen scope is the officer's area around the original target.
    alert, item = store.get("staffordshire", alert_id)  # type: ignore[misc]
    alert.target = body["target"]
    store.save(alert, item, "2026-12-02T00:00:01Z")
    assert stack.call("POST", f"/v1/alerts/{alert_id}/send", "stafford-officer", {}).status_code == 200
    alert, item = store.get("staffordshire", alert_id)  # type: ignore[misc]
    assert FrozenScope(alert.frozen_scope).contains(*offset(*NEAR_TOP, 300, 0))
    alert.target = {"type": "circle", "center": {"lat": NEAR_TOP[0], "lng": NEAR_TOP[1]}, "radius_m": 3000}
    store.save(alert, item, "2026-12-02T00:00:02Z")
    stack.pump()
    received = stack.outbox_for([inside, outside])
    assert len(received[inside.id].get("email", [])) == 1
    assert received[outside.id] == {}, "the worker sent beyond the sender's areas"
