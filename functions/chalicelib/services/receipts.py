"""Delivery feedback: what SES, Pinpoint SMS Voice v2 and SNS say after a message was handed over.

- Email (SES events): a permanent bounce or a complaint puts the address's keyed hash on the suppression list; the
  message's ledger entry (found by its SES tags) becomes `delivered`, `bounced` or `failed`.
- Voice (configuration set events) and SMS (SNS delivery-status logs): the entry found through the provider message
  id's pointer becomes `delivered` or `failed`.

Each method answers a short outcome word for the log (never an address or a number). An event that names no entry
we know is ignored; only an entry whose send is not recorded yet (still `claimed`: the receipt overtook the worker's
record) raises `ReceiptTooEarly`, so that Lambda's asynchronous retries bring it back a minute later, and after those
the event lands in the handler's dead-letter queue instead of being lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..adapters.ledger import BOUNCED, CLAIMED, DELIVERED, FAILED, DeliveryLedger
from ..domain.audience import ledger_key
from ..domain.contacts import ContactHasher, normalise_email
from ..domain.errors import HexwatchError
from ..domain.receipts import EmailFeedback, ProviderReceipt, Verdict

LEDGER_STATE = {Verdict.DELIVERED: DELIVERED, Verdict.FAILED: FAILED, Verdict.BOUNCED: BOUNCED}


class ReceiptTooEarly(Exception):
    """The receipt's entry is still claimed: the worker has not recorded the send yet. Retried by Lambda."""


class Suppressions(Protocol):
    def suppress(self, contact_hash: str, reason: str, at: str) -> None: ...


class ContactOwners(Protocol):
    def contact_owner(self, contact_hash: str) -> Any: ...


@dataclass
class ReceiptOutcome:
    """What one event did: counts by outcome word, for one log line per invocation."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, word: str) -> None:
        self.counts[word] = self.counts.get(word, 0) + 1


class ReceiptService:
    def __init__(self, *, ledger: DeliveryLedger, suppressions: Suppressions, hasher: Callable[[], ContactHasher],
                 owners: ContactOwners, clock: Callable[[], float]) -> None:
        self._ledger = ledger
        self._suppressions = suppressions
        # The contact-hash key is a secret read on first use: voice and SMS receipts never need it.
        self._hasher = hasher
        self._owners = owners
        self._clock = clock

    # --- email ---------------------------------------------------------------------------------------------------

    def email(self, feedback: EmailFeedback) -> ReceiptOutcome:
        outcome = ReceiptOutcome()
        hashes = []
        now = datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds")
        for address, reason in feedback.suppress:
            try:
                contact_hash = self._hasher().hash(normalise_email(address))
            except HexwatchError:
                outcome.add("unreadable-address")
                continue
            self._suppressions.suppress(contact_hash, reason, now)
            hashes.append(contact_hash)
            outcome.add(f"suppressed-{reason}")
        state = LEDGER_STATE.get(feedback.verdict)
        if state is None or not feedback.alert_id:
            outcome.add("no-ledger-change")  # a complaint, a delay, or a message that was not an alert
            return outcome
        if feedback.ledger_key:
            if not feedback.ledger_key.startswith("email#"):
                outcome.add("foreign-key")
                return outcome
            outcome.add(self._settle(feedback.alert_id, feedback.ledger_key, state, feedback.message_id,
                                     feedback.detail))
        elif state == BOUNCED:
            # Mail sent before messages carried their ledger key: find the entry through the address's owner.
            for contact_hash in hashes:
                owner = self._owners.contact_owner(contact_hash)
                if owner is None:
                    outcome.add("unknown")
                    continue
                outcome.add(self._settle(feedback.alert_id, ledger_key("email", owner.resident_id), state,
                                         None, feedback.detail))
        else:
            outcome.add("no-ledger-key")
        return outcome

    # --- voice and SMS -------------------------------------------------------------------------------------------

    def provider(self, receipts: Iterable[ProviderReceipt]) -> ReceiptOutcome:
        outcome = ReceiptOutcome()
        too_early = 0
        for receipt in receipts:
            state = LEDGER_STATE.get(receipt.verdict)
            if state is None:
                outcome.add("not-final")
                continue
            found = self._ledger.pointer(receipt.channel, receipt.message_id)
            if found is None:
                outcome.add("unknown")  # not an alert's message (a verification code), or older than the pointers
                continue
            alert_id, key = found
            if receipt.ledger_key and receipt.ledger_key != key:
                outcome.add("mismatch")
                continue
            try:
                outcome.add(self._settle(alert_id, key, state, receipt.message_id, receipt.detail))
            except ReceiptTooEarly:
                too_early += 1
        if too_early:
            # The others are settled (conditionally, so the retry counts none of them twice).
            raise ReceiptTooEarly(f"{too_early} receipts for sends not yet recorded")
        return outcome

    # --- the officer's progress ----------------------------------------------------------------------------------

    def _settle(self, alert_id: str, key: str, state: str, provider_id: str | None, detail: str) -> str:
        result = self._ledger.settle(alert_id, key, state, provider_id, detail)
        if result == CLAIMED:
            raise ReceiptTooEarly(f"{key.split('#', 1)[0]} entry still claimed")
        return result
