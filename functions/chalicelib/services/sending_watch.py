"""Alerts stuck in `sending`: an alert that has been sending for longer than any delivery should take means a worker is
failing, a queue is stuck or a provider is refusing us. Counted every few minutes into a metric that raises an alarm
(infra/functions.py, AlertsStuckSending), and reconciled: each stuck alert gets a plan job again, marked `reconcile`,
which the pipeline handles idempotently (services/pipeline/plan.py and decide.py): shards that never started are
queued, releases that never ran are run, and what was released but is still unsent is swept back onto the delivery
queues. Nothing already sent is reset: claims and the ledger's conditions keep anyone from getting it twice.

A `paused` alert is not stuck: the provider refused for quota, and its messages are parked (services/pipeline/
deliver.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..domain.jobs import PlanJob

# A whole-force alert to 100,000 residents is sent within minutes at the default quotas; half an hour is stuck.
STUCK_AFTER_SECONDS = 30 * 60
# Alerts older than this are not looked at: one still sending after three days has long since raised the alarm.
LOOKBACK_SECONDS = 3 * 24 * 3600


class SendingAlerts(Protocol):
    def sending_since(self, organisation: str, created_after: float) -> list[tuple[str, str]]: ...


class PlanQueue(Protocol):
    def put_many(self, jobs: list[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class StuckAlert:
    organisation: str
    alert_id: str
    sending_for_seconds: int


class SendingWatch:
    def __init__(self, alerts: SendingAlerts, organisations: Callable[[], list[str]], clock: Callable[[], float],
                 stuck_after_seconds: int = STUCK_AFTER_SECONDS, plans: PlanQueue | None = None) -> None:
        self._alerts = alerts
        self._plans = plans
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

    def reconcile(self, stuck: list[StuckAlert]) -> int:
        """Queues a reconciling plan job for each stuck alert; answers how many were queued."""
        if self._plans is None or not stuck:
            return 0
        self._plans.put_many([PlanJob(alert.organisation, alert.alert_id, reconcile=True).message() for alert in stuck])
        return len(stuck)
