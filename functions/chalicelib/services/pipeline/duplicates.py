"""De-duplication across senders in the pipeline (domain/dedup.py says when two alerts are the same appeal).

The plan stage links a new alert to the earlier alerts of other senders with the same appeal, from the force's
alerts of the window and their frozen targets. The shard stage then leaves out each recipient an earlier linked
alert reached (or is about to), asking the ledger's index by contact once per recipient contact and linked alert:
the cost grows with the later alert's recipients, not with the history.

The by-contact index is eventually consistent: two copies sent within a second or two of each other may both reach
someone. Sent further apart, the later one finds the earlier's entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ...domain.alerts import Alert
from ...domain.coverage import Target
from ...domain.dedup import DedupSettings, same_appeal
from .ports import FrozenPlans


class RecentAlerts(Protocol):
    def sent_since(self, organisation: str, created_after: float) -> list[Alert]: ...


class ContactsReached(Protocol):
    def reaches_contact(self, contact: str, alert_id: str) -> bool: ...


class Duplicates:
    def __init__(self, alerts: RecentAlerts, plans: FrozenPlans, contacts: ContactsReached,
                 settings: DedupSettings, clock: Callable[[], float]) -> None:
        self._alerts = alerts
        self._plans = plans
        self._contacts = contacts
        self._settings = settings
        self._clock = clock

    def earlier(self, alert: Alert, target: Target) -> list[str]:
        """The earlier alerts (ids, oldest first) whose appeal this one repeats."""
        since = min(self._clock(), (alert.send_at or alert.created_at).timestamp()) - self._settings.window_seconds
        found = []
        this_one = (alert.send_at or alert.created_at, alert.id)
        for other in self._alerts.sent_since(alert.source.organisation, since):
            # Only what went out before this one, in one strict order: two alerts sent at the same moment must not
            # each leave out the other's residents, or those residents would get neither.
            if (other.send_at or other.created_at, other.id) >= this_one:
                continue
            other_target = self._plans.target(other.id)
            if other_target is not None and same_appeal(alert, other, target, other_target, self._settings):
                found.append(other.id)
        return sorted(found)

    def reached_residents(self, earlier: list[str], entries: Iterable[Any]) -> set[str]:
        """The residents among these ledger entries whom an earlier alert reached at any of their contacts."""
        reached: set[str] = set()
        for entry in entries:
            if entry.resident_id in reached:
                continue
            if any(self._contacts.reaches_contact(entry.contact, alert_id) for alert_id in earlier):
                reached.add(entry.resident_id)
        return reached
