"""A provider that may not send for now (quota, adapters/provider_errors.py) loses nobody: until the pipeline parks
such an alert, its recipients are retried like a throttled provider's, never recorded as failed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bench.faults import FaultInjector
from chalicelib import bootstrap

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .ledger_reads import ledger_entries


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def test_an_alert_sent_while_ses_sending_is_paused_reaches_everyone_once_when_it_resumes(stack: AlertStack) -> None:
    residents = [stack.resident(*offset(*STAFFORD, 40 * i, 0), ["email"]) for i in range(6)]
    alert = stack.create(channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200

    # The local stack sends alert email with SendEmail; SES refuses the first three calls as a paused account (a
    # 400, which a status-only reading would call permanent).
    faults = FaultInjector(rate=0.0, targets={("sesv2", "SendEmail"): [("SendingPausedException", 400)]})
    faults.install()
    faults.outage("sesv2", "SendEmail", 3)
    bootstrap.reset()  # the app's clients are made again, after the hooks are on the session they copy
    try:
        stack.pump()
    finally:
        faults.enabled = False

    assert faults.injected == {"sesv2.SendEmail:SendingPausedException": 3}
    states = [e.status for e in ledger_entries(alert["id"])]
    assert states == ["sent"] * len(residents)
    received = stack.outbox_for(residents)
    assert [len(received[r.id].get("email", [])) for r in residents] == [1] * len(residents)
    shown = json.loads(stack.call("GET", f"/v1/alerts/{alert['id']}").body)
    assert shown["status"] == "sent" and shown["progress"]["email"]["failed"] == 0
    assert stack.dead_letters() == 0
