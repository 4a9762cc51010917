"""Scheduled and edited alerts against the emulator: officers change an alert until it is due (PATCH /v1/alerts/{id}),
and the every-minute schedule (the `release_scheduled` function) releases alerts due later than SQS can hold a
message, once, with the edited words, even when two runs overlap."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.alerts_store import AlertStore
from chalicelib.domain.alerts import utc_text

from .alert_helpers import STAFFORD, AlertStack, serving_alert_stack


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def later(minutes: float) -> str:
    return utc_text(datetime.now(UTC) + timedelta(minutes=minutes))


def patch(stack: AlertStack, alert_id: str, changes: dict[str, Any], role: str = "officer") -> Any:
    return stack.call("PATCH", f"/v1/alerts/{alert_id}", role, changes)


def errors(response: Any) -> list[str]:
    return [error["pointer"] for error in json.loads(response.body)["errors"]]


def audit_actions(stack: AlertStack, alert_id: str) -> list[tuple[str, str | None]]:
    shown = json.loads(stack.call("GET", f"/v1/alerts/{alert_id}").body)
    return [(entry["action"], entry["detail"]) for entry in shown["audit"]]


def targeting_messages(stack: AlertStack) -> int:
    attributes = stack.sqs.get_queue_attributes(
        QueueUrl=stack.queue_url("targeting"),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    return sum(int(value) for value in attributes.values())


def time_passes(alert_id: str, organisation: str = "staffordshire") -> None:
    """What waiting until the alert is due would do, without waiting: its time is now (a second ago)."""
    found = AlertStore().get(organisation, alert_id)
    assert found is not None
    alert, item = found
    alert.send_at = datetime.now(UTC) - timedelta(seconds=1)
    AlertStore().save(alert, item, utc_text(datetime.now(UTC)))


def run_schedule(stack: AlertStack) -> None:
    """The schedule's function, as EventBridge invokes it (its calls are recorded for the IAM proof)."""
    stack.client.lambda_.invoke("release_scheduled", stack.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))


def test_an_officer_edits_a_draft_and_each_bad_change_is_refused_naming_its_field(stack: AlertStack) -> None:
    alert = stack.create()
    changed = patch(stack, alert["id"], {"title": "Burglaries near Stafford market", "priority": "urgent"})
    assert changed.status_code == 200, changed.body
    shown = json.loads(changed.body)
    assert shown["title"] == "Burglaries near Stafford market" and shown["status"] == "draft"
    assert ("edit", "changed title, priority") in audit_actions(stack, alert["id"])

    for bad, field in (({"title": None}, "/title"), ({"title": "ab"}, "/title"), ({}, ""),
                       ({"references": []}, "/references"), ({"send_at": "2020-01-01T00:00:00Z"}, "/send_at"),
                       ({"target": {"type": "circle"}}, "/target/center")):
        refused = patch(stack, alert["id"], bad)
        assert refused.status_code == 400, (bad, refused.body)
        assert field in errors(refused), (bad, refused.body)
    assert patch(stack, "01" + "Z" * 24, {"title": "Nothing here"}).status_code == 404
    assert patch(stack, alert["id"], {"title": "Not my alert to change"}, role="volunteer").status_code == 403


def test_an_alert_being_sent_cannot_be_edited(stack: AlertStack) -> None:
    stack.resident(*STAFFORD, ["email"])
    alert = stack.create(channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    refused = patch(stack, alert["id"], {"title": "Too late for this"})
    assert refused.status_code == 409 and errors(refused) == ["/status"]


def test_a_volunteers_edit_of_an_approved_scheduled_alert_waits_for_approval_again(stack: AlertStack) -> None:
    alert = stack.create(role="volunteer", send_at=later(60), channels=["email"])
    assert json.loads(stack.call("POST", f"/v1/alerts/{alert['id']}/send", "volunteer").body)["status"] == \
        "pending_approval"
    assert json.loads(stack.call("POST", f"/v1/alerts/{alert['id']}/approve").body)["status"] == "scheduled"
    changed = patch(stack, alert["id"], {"body": "Homes near the market were broken into overnight. Call 101."},
                    role="volunteer")
    assert changed.status_code == 200, changed.body
    assert json.loads(changed.body)["status"] == "pending_approval"
    assert json.loads(stack.call("GET", "/v1/review").body)["alerts"][0]["id"] == alert["id"]


def test_an_edited_scheduled_alert_goes_out_once_with_the_edited_words_even_when_runs_overlap(
        stack: AlertStack) -> None:
    residents = [stack.resident(*STAFFORD, ["email"]) for _ in range(3)]
    alert = stack.create(send_at=later(120), channels=["email"])
    sent = json.loads(stack.call("POST", f"/v1/alerts/{alert['id']}/send").body)
    assert sent["status"] == "scheduled"
    assert targeting_messages(stack) == 0  # two hours ahead: beyond what SQS can hold, the schedule's to release

    new_time = later(180)
    changed = patch(stack, alert["id"], {"title": "Market square burglaries: an update", "send_at": new_time})
    assert changed.status_code == 200, changed.body
    assert json.loads(changed.body)["send_at"] == new_time
    (edit,) = [detail for action, detail in audit_actions(stack, alert["id"]) if action == "edit"]
    assert edit is not None and edit.startswith("changed title, send_at; send_at from ")

    run_schedule(stack)
    assert targeting_messages(stack) == 0  # not due yet: the run queued nothing

    time_passes(alert["id"])
    # Two runs at once (EventBridge may deliver a schedule's event twice): each queues a release job.
    runs = [threading.Thread(target=run_schedule, args=(stack,)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert targeting_messages(stack) == 2
    stack.pump()

    received = stack.outbox_for(residents)
    for resident in residents:
        (email,) = received[resident.id]["email"]
        assert "Market square burglaries: an update" in email["subject"]
    shown = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)
    assert shown["status"] == "sent"
    assert [detail for action, detail in audit_actions(stack, alert["id"]) if action == "send"] == [
        None, "scheduled time reached"]  # the officer's send, then the release: once


def test_a_cancelled_scheduled_alert_is_not_released(stack: AlertStack) -> None:
    resident = stack.resident(*STAFFORD, ["email"])
    alert = stack.create(send_at=later(30), channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/cancel").status_code == 200
    run_schedule(stack)
    assert targeting_messages(stack) == 0
    stack.pump()
    assert stack.outbox_for([resident]) == {resident.id: {}}


def test_the_local_pump_releases_an_alert_that_fell_due_while_it_was_stopped_once_across_restarts(
        stack: AlertStack) -> None:
    """`make run`'s event pump fires the every-minute schedule (here its first firing comes within half a second).
    The pump's queue threads name the queues of the stack the app was first imported for, so the test drains this
    stack's queues itself (`stack.pump()`), after each pump has run."""
    from infra.local.pump import EventPump

    resident = stack.resident(*STAFFORD, ["email"])
    alert = stack.create(send_at=later(90), channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200

    def pump_for(seconds: float) -> None:
        pump = EventPump(stack.app, function_prefix="itest", first_schedule_after=0.5)
        pump.start(schedules_only=True)
        time.sleep(seconds)
        pump.stop()
        stack.pump()

    pump_for(2)  # running, and nothing is due
    assert json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["status"] == "scheduled"
    time_passes(alert["id"])  # due while no pump runs
    pump_for(2)
    assert json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)["status"] == "sent"
    pump_for(2)  # started again: nothing more goes
    (email,) = stack.outbox_for([resident])[resident.id]["email"]
    assert alert["title"] in email["subject"]
