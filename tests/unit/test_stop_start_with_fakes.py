"""STOP and START when things fail part-way (services/inbound_sms.py, on fakes): whatever dies, the number ends up
where the resident asked, on our record and on the provider's list, and is never confirmed twice."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.sms_opt_outs import SmsOptState
from chalicelib.domain.contacts import ContactHasher
from chalicelib.domain.sms_replies import SMS_STARTED, SMS_STOPPED, parse_inbound_payload
from chalicelib.services.inbound_sms import InboundSmsService

NUMBER = "+447400123401"


class Died(Exception):
    pass


class Records:
    def __init__(self) -> None:
        self.reason: str | None = None
        self.opted_in_at: float | None = None

    def state(self, contact_hash: str) -> SmsOptState:
        return SmsOptState(self.reason, self.opted_in_at)

    def stop(self, contact_hash: str, at: str, command_id: str) -> bool:
        if self.reason in (None, SMS_STARTED):
            self.reason = SMS_STOPPED
            return True
        return False

    def start(self, contact_hash: str, at: str, now: float, command_id: str, lifts: tuple[str, ...]) -> bool:
        if self.reason in lifts:
            self.reason, self.opted_in_at = SMS_STARTED, now
            return True
        return False

    def claim_command(self, contact_hash: str, command_id: str) -> bool:
        return True


class OptOutList:
    def __init__(self) -> None:
        self.numbers: set[str] = set()
        self.fail_next = 0

    def opt_out(self, number: str) -> None:
        self.numbers.add(number)

    def opt_in(self, number: str) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise Died("throttled")
        self.numbers.discard(number)


class Texts:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.die_next = 0

    def publish(self, to: str, text: str) -> str:
        if self.die_next:
            self.die_next -= 1
            raise Died("worker died")
        self.sent.append(text)
        return "m"


class NoOwners:
    def contact_owner(self, contact_hash: str) -> Any:
        return None


def service(records: Records, optouts: OptOutList, texts: Texts) -> InboundSmsService:
    return InboundSmsService(hasher=ContactHasher(b"k" * 32), records=records, opt_out_list=optouts,
                             residents=NoOwners(), ledger=None, replies=None, alerts=None, sms=texts,
                             metric=lambda name: None, clock=lambda: 1_800_000_000.0)


def text(body: str, message_id: str) -> Any:
    return parse_inbound_payload(f'{{"originationNumber": "{NUMBER}", "destinationNumber": "+447700900123", '
                                 f'"messageBody": "{body}", "inboundMessageId": "{message_id}"}}')


def test_a_start_whose_mirror_failed_is_finished_by_its_retry_and_confirmed_once() -> None:
    records, optouts, texts = Records(), OptOutList(), Texts()
    inbound = service(records, optouts, texts)
    inbound.handle(text("STOP", "in-1"), 0)
    assert records.reason == SMS_STOPPED and NUMBER in optouts.numbers and len(texts.sent) == 1
    optouts.fail_next = 1
    with pytest.raises(Died):
        inbound.handle(text("START", "in-2"), 0)
    assert records.reason == SMS_STOPPED  # nothing half-done: still stopped, still listed
    inbound.handle(text("START", "in-2"), 0)  # Lambda's retry
    assert records.reason == SMS_STARTED and NUMBER not in optouts.numbers
    assert [t for t in texts.sent if "on again" in t] and len(texts.sent) == 2


def test_a_start_that_died_before_its_confirmation_is_finished_and_not_confirmed_twice() -> None:
    records, optouts, texts = Records(), OptOutList(), Texts()
    inbound = service(records, optouts, texts)
    inbound.handle(text("STOP", "in-1"), 0)
    texts.die_next = 1
    with pytest.raises(Died):
        inbound.handle(text("START", "in-2"), 0)
    inbound.handle(text("START", "in-2"), 0)
    assert records.reason == SMS_STARTED and NUMBER not in optouts.numbers
    assert len(texts.sent) == 1  # the STOP's confirmation only: at most one answer per command


def test_a_stop_that_died_before_mirroring_is_mirrored_by_its_retry() -> None:
    records, optouts, texts = Records(), OptOutList(), Texts()
    inbound = service(records, optouts, texts)
    texts.die_next = 1
    with pytest.raises(Died):
        inbound.handle(text("STOP", "in-1"), 0)
    assert records.reason == SMS_STOPPED and NUMBER not in optouts.numbers
    inbound.handle(text("STOP", "in-1"), 0)
    assert NUMBER in optouts.numbers
