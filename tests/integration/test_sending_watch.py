"""Alerts stuck in `sending` are counted for the operators' alarm; alerts that finish sending are not."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.alerts_store import AlertStore
from chalicelib.adapters.messaging import SqsJobQueue
from chalicelib.services.sending_watch import STUCK_AFTER_SECONDS, SendingWatch

from .alert_helpers import STAFFORD, AlertStack, serving_alert_stack


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def _watch_at(seconds_from_now: float) -> SendingWatch:
    organisations = [o.id for o in bootstrap.officer_registry().organisations()]
    return SendingWatch(AlertStore(), lambda: organisations, lambda: time.time() + seconds_from_now)


def test_an_alert_sending_for_over_half_an_hour_is_stuck_and_once_sent_it_is_not(stack: AlertStack) -> None:
    stack.resident(*STAFFORD, ["email"])
    alert = stack.create()
    sent = stack.call("POST", f"/v1/alerts/{alert['id']}/send")
    assert sent.status_code in (200, 202), sent.body

    assert _watch_at(0).stuck() == []  # just started
    (stuck,) = _watch_at(STUCK_AFTER_SECONDS + 60).stuck()
    assert stuck.alert_id == alert["id"] and stuck.sending_for_seconds >= STUCK_AFTER_SECONDS

    # The scheduled function itself runs against the emulator (and its calls are recorded for the IAM proof).
    result = stack.client.lambda_.invoke("watch_sending", stack.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert result.payload is None

    stack.pump()
    assert _watch_at(STUCK_AFTER_SECONDS + 60).stuck() == []


def test_a_stuck_alert_is_re_planned_and_reaches_everyone_once(stack: AlertStack) -> None:
    """The plan job was lost (here: taken off the queue unhandled): the reconciler's plan job targets and sends it."""
    residents = [stack.resident(*STAFFORD, ["email"]) for _ in range(3)]
    alert = stack.create()
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code in (200, 202)
    url = stack.queue_url("targeting")
    for message in stack.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # the plan job, lost
    stack.pump()
    assert stack.outbox_for(residents) == {r.id: {} for r in residents}

    organisations = [o.id for o in bootstrap.officer_registry().organisations()]
    watch = SendingWatch(AlertStore(), lambda: organisations, lambda: time.time() + STUCK_AFTER_SECONDS + 60,
                         plans=SqsJobQueue(stack.sqs, f"{stack.prefix}-targeting"))
    assert watch.reconcile(watch.stuck()) == 1
    stack.pump()
    received = stack.outbox_for(residents)
    assert [len(received[r.id].get("email", [])) for r in residents] == [1, 1, 1]
    assert _watch_at(STUCK_AFTER_SECONDS + 60).stuck() == []
