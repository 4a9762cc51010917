"""A provider that may not send for now (quota, adapters/provider_errors.py) loses nobody and burns no retries: the
delivery stage parks the message (a delayed retry), shows the alert `paused` with the provider's reason, and the alert
resumes by itself and reaches `sent` once the provider accepts again. Nothing ends in a dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bench.faults import FaultInjector
from chalicelib import bootstrap

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .ledger_reads import ledger_entries


@pytest.fixture
def stack(emulator, fresh_stack, monkeypatch) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HEXWATCH_PARK_DELAY_SECONDS", "2")  # 900 s in production: SQS's longest delay
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
    moves = [(m["from"], m["to"], m.get("reason")) for m in shown["history"] if m["by"] == "system"]
    assert ("sending", "paused", "SendingPausedException") in moves
    assert moves[-2:] == [("paused", "sending", None), ("sending", "sent", None)]
    actions = [entry["action"] for entry in shown["audit"]]
    assert "pause" in actions and "resume" in actions

