"""Alerts stuck in `sending`: an alert that has been sending for longer than any delivery should take means a worker is
failing, a queue is stuck or a provider is refusing us. Counted every few minutes into a metric that raises an alarm
(infra/functions.py, AlertsStuckSending). Parking quota errors and reconciling belong to the pipeline's own issue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# A whole-force alert to 100,000 residents is sent within minutes at the default quotas; half an hour is stuck.
STUCK_AFTER_SECONDS = 30 * 60
# Alerts older than this are not looked at: one still sending after three days has long since raised the alarm.
LOOKBACK_SECONDS = 3 * 24 * 3600


class SendingAlerts(Protocol):
    def sending_since(self, organisation: str, created_after: float) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class StuckAlert:
    organisation: str
    alert_id: str
    sending_for_seconds: int


class SendingWatch:
    def __init__(self, alerts: SendingAlerts, organisations: Callable[[], list[str]], clock: Callable[[], float],
                 stuck_after_seconds: int = STUCK_AFTER_SECONDS) -> None:
        self._alerts = alerts
        self._organisations = organisations
        self._clock = clock
        self._stuck_after = stuck_after_seconds

    def stuck(self) -> list[StuckAlert]:
        now = self._clock()
        found = []
        for organisation in self._organisations():
            for alert_id, began in self._alerts.sending_since(organisation, now - LOOKBACK_SECONDS):
                sending_for = now - datetime.fromisoformat(began.replace("Z", "+00:00")).timestamp()
                if sending_for >= self._stuck_after:
                    found.append(StuckAlert(organisation, alert_id, int(sending_for)))
        return found
