"""Who may send what: volunteers wait for approval, officers stay inside their areas, costly sends wait for a
supervisor, cancels stop what is not yet sent; and every bad request is a 4xx that names the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.alerts_store import AlertStore
from infra.local import seed
from infra.local.token import id_token

from .alert_helpers import STAFFORD, AlertStack, alert_body, alert_stack, offset

LEEK = (53.1050, -2.0230)


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    alerts, client = alert_stack(emulator, fresh_stack)
    alerts.emulator = emulator  # type: ignore[attr-defined]
    with client:
        yield alerts
    bootstrap.reset()


def errors(response: Any) -> dict[str, str]:
    return {e["pointer"]: e["message"] for e in json.loads(response.body)["errors"]}


def received(stack: AlertStack, residents: list[Any]) -> int:
    return sum(len(m) for r in stack.outbox_for(residents).values() for m in r.values())


def limited_officer(stack: AlertStack, areas: str) -> str:
    emulator = stack.emulator  # type: ignore[attr-defined]
    pool, client_id = stack.outputs["user_pool_id"], stack.outputs["user_pool_client_id"]
    user = seed.seed_officers(pool, endpoint=emulator.endpoint, roles={"stafford-officer": ["officer"]},
                              areas={"stafford-officer": areas.split(",")})[0]
    return id_token(emulator.endpoint, emulator.region, pool, client_id, user["username"], user["password"],
                    totp_secret=user["totp_secret"])


def test_a_volunteers_alert_waits_for_another_officers_approval(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 100), ["email"])
    alert = stack.create("volunteer")
    sent = stack.call("POST", f"/v1/alerts/{alert['id']}/send", "volunteer")
    assert json.loads(sent.body)["status"] == "pending_approval"
    stack.pump()
    assert received(stack, [resident]) == 0

    assert stack.call("POST", f"/v1/alerts/{alert['id']}/approve", "volunteer").status_code == 403
    approved = stack.call("POST", f"/v1/alerts/{alert['id']}/approve", "officer")
    assert approved.status_code == 200 and json.loads(approved.body)["status"] == "sending"
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/approve", "supervisor").status_code == 409
    stack.pump()
    assert received(stack, [resident]) == 1
    trail = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["audit"]
    assert [(e["action"], e["actor_role"]) for e in trail][:3] == [("create", "volunteer"), ("send", "volunteer"),
                                                                   ("approve", "officer")]


def test_nobody_approves_their_own_alert(stack: AlertStack) -> None:
    alert = stack.create("volunteer")
    stack.call("POST", f"/v1/alerts/{alert['id']}/send", "volunteer")
    token = stack.tokens["volunteer"]
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/approve", token=token).status_code == 403


def test_an_officer_limited_to_stafford_cannot_target_beyond_it(stack: AlertStack) -> None:
    token = limited_officer(stack, "stafford")
    inside = stack.call("POST", "/v1/alerts", body=alert_body(), token=token)
    assert inside.status_code == 201, inside.body

    leek = alert_body(target={"type": "circle", "center": {"lat": LEEK[0], "lng": LEEK[1]}, "radius_m": 500})
    refused = stack.call("POST", "/v1/alerts", body=leek, token=token)
    assert refused.status_code == 403 and "/target/center" in errors(refused)
    too_wide = alert_body(target={"type": "circle", "center": {"lat": STAFFORD[0], "lng": STAFFORD[1]},
                                  "radius_m": 8000})
    assert stack.call("POST", "/v1/alerts", body=too_wide, token=token).status_code == 403
    areas = stack.call("POST", "/v1/alerts", body=alert_body(target={"type": "areas", "area_ids": ["leek"]}),
                       token=token)
    assert areas.status_code == 403 and "/target/area_ids/0" in errors(areas)
    force = stack.call("POST", "/v1/alerts", body=alert_body(target={"type": "organisation"}), token=token)
    assert force.status_code == 403 and "/target/type" in errors(force)
    named = stack.call("POST", "/v1/alerts", body=alert_body(target={"type": "areas", "area_ids": ["stafford"]}),
                       token=token)
    assert named.status_code == 201


def test_a_costly_send_is_held_after_targeting_until_a_supervisor_approves(stack: AlertStack,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXWATCH_SEND_LIMITS", json.dumps({"max_sms": 1}))
    bootstrap.reset()
    residents = [stack.resident(*offset(*STAFFORD, 100 * i, 0), ["sms"]) for i in range(3)]
    alert = stack.create(channels=["sms"])
    preview = json.loads(stack.call("POST", "/v1/alerts/preview", body=alert_body(channels=["sms"])).body)
    # Three messages: a preview shows counts under 5 only as "fewer than 5" (domain/small_counts.py).
    assert preview["needs_supervisor"] and preview["estimate"]["sms"]["messages"] == "fewer than 5"
    assert json.loads(stack.call("POST", f"/v1/alerts/{alert['id']}/send").body)["status"] == "sending"
    stack.pump()
    held = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)
    assert held["status"] == "pending_approval" and received(stack, residents) == 0
    assert held["audit"][-1]["action"] == "hold" and held["audit"][-1]["audience"] == 3

    assert stack.call("POST", f"/v1/alerts/{alert['id']}/approve", "officer").status_code == 403
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/approve", "supervisor").status_code == 200
    stack.pump()
    assert received(stack, residents) == 3
    assert json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["status"] == "sent"


def test_cancel_stops_what_is_not_yet_sent(stack: AlertStack) -> None:
    residents = [stack.resident(*offset(*STAFFORD, 50 * i, 0), ["email"]) for i in range(3)]
    alert = stack.create(channels=["email"])
    stack.call("POST", f"/v1/alerts/{alert['id']}/send")
    stack.run_queue("targeting")  # plan
    stack.run_queue("targeting")  # shard, then release
    stack.run_queue("targeting")
    cancelled = stack.call("POST", f"/v1/alerts/{alert['id']}/cancel")
    assert json.loads(cancelled.body)["status"] == "cancelled"
    stack.pump()
    assert received(stack, residents) == 0
    shown = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)
    assert shown["progress"]["email"]["cancelled"] == 3 and shown["progress"]["email"]["sent"] == 0
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 409


def test_a_future_send_is_scheduled_and_waits_in_the_queue(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 10, 10), ["email"])
    alert = stack.create(send_at="2099-01-01T09:00:00Z")
    assert alert["send_at_local"] == "1 January 2099, 09:00 GMT"
    assert json.loads(stack.call("POST", f"/v1/alerts/{alert['id']}/send").body)["status"] == "scheduled"
    assert stack.run_queue("targeting") == 0
    assert received(stack, [resident]) == 0
    # Beyond what SQS can hold: nothing is queued; it waits in the by-due index for the every-minute schedule.
    assert stack.waiting() == 0
    assert ("staffordshire", alert["id"]) in AlertStore().due("2099-01-01T09:00:00Z", 10)
    assert ("staffordshire", alert["id"]) not in AlertStore().due("2099-01-01T08:59:59Z", 10)


def test_bad_requests_are_4xx_naming_the_field(stack: AlertStack) -> None:
    missing = stack.call("POST", "/v1/alerts", body={k: v for k, v in alert_body().items() if k != "incident_ref"})
    assert missing.status_code == 400 and "/incident_ref" in errors(missing)
    far = alert_body(target={"type": "circle", "center": {"lat": 52.8, "lng": -2.1}, "radius_m": 25000})
    assert "/target" in " ".join(errors(stack.call("POST", "/v1/alerts/preview", body=far)))
    past = stack.call("POST", "/v1/alerts", body=alert_body(send_at="2020-01-01T00:00:00Z"))
    assert past.status_code == 400 and "/send_at" in errors(past)
    update = stack.call("POST", "/v1/alerts", body=alert_body(type="update"))
    assert update.status_code == 400 and "/references" in errors(update)
    unknown_area = stack.call("POST", "/v1/alerts", body=alert_body(target={"type": "areas", "area_ids": ["nope"]}))
    assert unknown_area.status_code == 400 and "/target/area_ids/0" in errors(unknown_area)
    assert stack.call("GET", "/v1/alerts/not-an-id").status_code == 404
    assert stack.call("GET", "/v1/alerts/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 404
    assert "/limit" in errors(stack.call("GET", "/v1/alerts?limit=1000"))
    assert "/cursor" in errors(stack.call("GET", "/v1/alerts?cursor=bm90LWEtY3Vyc29y"))


def test_the_organisations_alerts_list_newest_first_a_page_at_a_time(stack: AlertStack) -> None:
    ids = [stack.create(title=f"Alert number {n}")["id"] for n in range(3)]
    first = json.loads(stack.call("GET", "/v1/alerts?limit=2").body)
    assert [a["id"] for a in first["alerts"]] == ids[:0:-1] and first["next_cursor"]
    second = json.loads(stack.call("GET", f"/v1/alerts?limit=2&cursor={first['next_cursor']}").body)
    assert [a["id"] for a in second["alerts"]] == ids[:1]
    assert second["next_cursor"] is None


def test_a_preview_too_big_for_the_request_is_counted_by_the_worker_and_polled(
        stack: AlertStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXWATCH_PREVIEW_BUDGET_SECONDS", "0")
    monkeypatch.setenv("HEXWATCH_PREVIEW_LOCATIONS_PER_PIECE", "2")  # so that the worker counts in several pieces
    bootstrap.reset()
    for step in range(5):  # five or more, so that the counts are shown exactly
        stack.resident(*offset(*STAFFORD, 100 + 20 * step, 0), ["email", "sms"])
    stack.resident(*offset(*STAFFORD, -100, 0), ["email"], language="pl")
    accepted = stack.call("POST", "/v1/alerts/preview", body=alert_body(target={"type": "organisation"}))
    assert accepted.status_code == 202, accepted.body
    poll = json.loads(accepted.body)["poll"]
    polls: list[dict[str, Any]] = []
    assert accepted.headers["Location"] == poll
    assert json.loads(stack.call("GET", poll).body)["status"] == "counting"
    stack.run_queue("targeting", before_invoke=lambda _: polls.append(json.loads(stack.call("GET", poll).body)))
    # The plan (the force's shards), then pieces of at most two locations, a shard's pieces continuing one another:
    # the officer saw them go by, one more counted at each poll.
    assert len(polls) >= 5 and polls[1]["status"] == "counting" and polls[1]["progress"]["pieces_counted"] == 0
    assert [poll["progress"]["pieces_counted"] for poll in polls[1:]] == list(range(len(polls) - 1))
    counted = json.loads(stack.call("GET", poll).body)
    assert counted["status"] == "done"
    assert counted["residents"] == 6
    assert counted["by_channel"] == {"email": 6, "push": "fewer than 5", "sms": 5, "voice": "fewer than 5"}
    assert counted["by_language"] == {"en": 5, "pl": "fewer than 5"}
    assert counted["estimate"]["sms"]["messages"] == 5


def test_an_alert_past_its_expiry_is_not_delivered_late(stack: AlertStack) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    resident = stack.resident(*offset(*STAFFORD, 20, 20), ["email"])
    soon = (datetime.now(UTC) + timedelta(seconds=3)).isoformat(timespec="seconds").replace("+00:00", "Z")
    alert = stack.create(channels=["email"], expires_at=soon)
    stack.call("POST", f"/v1/alerts/{alert['id']}/send")
    for _ in range(3):
        stack.run_queue("targeting")
    time.sleep(4)
    stack.pump()
    assert received(stack, [resident]) == 0
    progress = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["progress"]["email"]
    assert progress["cancelled"] == 1 and progress["sent"] == 0


def test_slow_previews_are_limited_per_officer(stack: AlertStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each preview handed to the worker may read every location of the force: a third in the hour is refused (the
    # default allows 30), and another officer's are not.
    monkeypatch.setenv("HEXWATCH_PREVIEW_BUDGET_SECONDS", "0")
    monkeypatch.setenv("HEXWATCH_RATE_LIMITS", json.dumps({"preview.officer": [2, 3600]}))
    bootstrap.reset()
    body = alert_body(target={"type": "organisation"})
    assert [stack.call("POST", "/v1/alerts/preview", body=body).status_code for _ in range(2)] == [202, 202]
    refused = stack.call("POST", "/v1/alerts/preview", body=body)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert json.loads(refused.body)["code"] == "TooManyRequests"
    assert stack.call("POST", "/v1/alerts/preview", "supervisor", body=body).status_code == 202
    assert stack.run_queue("targeting") > 0  # the accepted ones are still counted
