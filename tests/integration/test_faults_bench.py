"""The fault bench (bench/faults.py) on a small population: it really injects faults and kills workers, and what it
counts holds: nothing lost, nothing received twice, unconfirmed within one provider call's worth per killed worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bench import faults
from chalicelib import bootstrap

RECIPIENTS = 150  # every one by email, every fourth also by SMS: 188 deliveries, 3 bulk email calls, 38 SMS


def test_the_fault_bench_loses_nothing_and_sends_nothing_twice(
        emulator: Any, fresh_stack: Callable[..., dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    outputs = fresh_stack()  # the HEXWATCH_* variables main() sets (claim timeout 1 s, ...) are put back after it
    try:
        result = faults.main(["--recipients", str(RECIPIENTS), "--rate", "0.1"], outputs=outputs)
    finally:
        bootstrap.reset()  # the next test's clients are made without the bench's hooks
    printed = capsys.readouterr().out

    # The faults really happened: random ones on SES, SNS and DynamoDB, the bursts, and both workers died.
    assert result.killed == {"email": 1, "sms": 1}, result
    assert sum(result.in_outages.values()) == 40, result.in_outages  # 20 consecutive SES calls and 20 SNS calls
    kinds = {kind.split(":")[0] for kind in result.injected}
    assert {"sesv2.SendBulkEmail", "sns.Publish"} <= kinds and any(k.startswith("dynamodb.") for k in kinds), kinds
    assert result.failed_invocations > 0 and not result.crashed, result

    # Everything settled, and each delivery is accounted for.
    assert result.settled and not result.dead_letters and result.alert_status == "sent", result
    assert result.deliveries == RECIPIENTS + (RECIPIENTS + 3) // 4
    assert result.states.get("queued", 0) == result.states.get("claimed", 0) == 0, result.states
    assert result.lost == 0, result.examples
    assert result.duplicated == 0, result.examples
    assert result.sent + result.failed + sum(result.unconfirmed.values()) == result.deliveries, result.states
    assert result.received >= result.sent  # every one the ledger calls sent reached the provider (none lost)
    assert result.provider_messages == result.received  # and none twice
    # The killed email worker had just made a bulk call: its claim (one call's worth) ends unconfirmed, not resent.
    assert 1 <= result.unconfirmed["email"] <= result.unconfirmed_bound["email"] == 50, result.unconfirmed
    assert "| **lost** (no provider call, and not listed unconfirmed or failed) | **0** | 0: met |" in printed
    assert "| **duplicated** (the provider received it more than once) | **0** | 0: met |" in printed

    assert result.unconfirmed["sms"] >= 1  # the killed SMS worker's claim
    # One SMS per killed worker at most: SMS are claimed, sent and recorded one at a time (PROVIDER_CALL_SIZE).
    assert result.unconfirmed["sms"] <= result.unconfirmed_bound["sms"]
    assert result.goal_met
