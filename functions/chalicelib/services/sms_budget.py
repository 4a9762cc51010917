"""The hourly budget for transactional SMS and calls (verification and sign-in codes, texted to a mobile or read to a
landline), kept apart from alert SMS and calls.

SNS's account spend limit is shared with alerts, so signups pumped by a bot could use it up and silence real alerts.
Each request that carries a mobile or landline number (a signup with one, a sign-in by one) is charged one message,
atomically,
in the rate-limits table. Past the hour's budget such requests get 429 naming /phone, while email goes on working.

A request is charged whether or not its number is registered, so the 429 never tells anyone which numbers are: the
count is an upper bound of the texts sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from ..domain.contacts import Contact, ContactKind
from ..domain.errors import FieldError, HexwatchError

HOUR = 3600
# A launch campaign brings a force a few hundred signups a day, about half with a mobile, and sign-ins by phone are
# rarer: tens of codes in the busiest hour. 100 an hour leaves room for that peak and caps a pumping run at 100 texts
# an hour (2,400 a day), which the TransactionalSmsRefused alarm reports within five minutes of the first refusal.
DEFAULT_PER_HOUR = 100
BUDGET_KEY = "sms.transactional#all"
COUNTED_METRIC = "TransactionalSmsCounted"
REFUSED_METRIC = "TransactionalSmsRefused"


class WindowCounter(Protocol):
    def hit(self, key: str, window_seconds: int) -> tuple[int, int]: ...


class TransactionalSmsBudget:
    def __init__(self, counter: WindowCounter, per_hour: int,
                 record_metric: Callable[[str], None] = lambda name: None) -> None:
        if per_hour < 0:
            raise ValueError("the transactional SMS budget cannot be negative")
        self._counter = counter
        self._per_hour = per_hour
        self._record_metric = record_metric

    def charge(self, contacts: Iterable[Contact]) -> None:
        """Counts one text per mobile, and one call per landline, among `contacts`; refuses with 429 once this hour's
        budget is spent."""
        for contact in contacts:
            if contact.kind not in (ContactKind.MOBILE, ContactKind.LANDLINE):
                continue
            count, retry_after = self._counter.hit(BUDGET_KEY, HOUR)
            if count > self._per_hour:
                self._record_metric(REFUSED_METRIC)
                landline = contact.kind is ContactKind.LANDLINE
                what = "calls" if landline else "texts"
                raise HexwatchError(
                    f"We are {'making too many calls' if landline else 'sending too many text messages'} just now. "
                    "Please try again later, or use your email address instead.",
                    [FieldError("/landline" if landline else "/phone",
                                f"{what} are paused for now: try again later or use email")],
                    429, "TooManyRequests", {"Retry-After": str(max(1, retry_after))})
            self._record_metric(COUNTED_METRIC)
