"""Scheduled alerts due later than SQS can hold a message (15 minutes) are released by a schedule that runs every
minute (workers/housekeeping.py): each alert due within the next minute gets a release job, held by SQS until its
time. Nothing here writes the alert. The release is the plan stage's conditional move to `sending`, which records the
job's release id (services/pipeline/plan.py), so two runs that overlap, or a run that repeats a job already queued,
put two jobs of which only one moves the alert: it goes out once.

A run that dies, or a schedule that misses a minute, loses nothing: an alert stays in the by-due index until it is
moved, and the next run finds it (late, not lost). Times are UTC throughout, so the clock changes of Europe/London
move no alert.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..domain.alerts import Alert, Status, utc_text
from ..domain.jobs import PlanJob

LOOKAHEAD_SECONDS = 60  # the schedule's period: an alert due before the next run is queued by this one
MAX_PER_RUN = 500  # a run's bound; more due in one minute are released by the runs after it


class DueAlerts(Protocol):
    def due(self, until: str, limit: int) -> list[tuple[str, str]]: ...
    def get(self, organisation: str, alert_id: str) -> tuple[Alert, Any] | None: ...


class ReleaseQueue(Protocol):
    def put(self, job: dict[str, Any], delay_seconds: int = 0) -> None: ...


@dataclass(frozen=True)
class ReleaseRun:
    queued: int  # release jobs put on the targeting queue
    passed_over: int  # found in the index but no longer scheduled there (moved, cancelled, rescheduled later)


class ScheduledRelease:
    def __init__(self, alerts: DueAlerts, jobs: ReleaseQueue, clock: Callable[[], float],
                 new_id: Callable[[], str], lookahead_seconds: int = LOOKAHEAD_SECONDS,
                 max_per_run: int = MAX_PER_RUN) -> None:
        self._alerts = alerts
        self._jobs = jobs
        self._clock = clock
        self._new_id = new_id
        self._lookahead = lookahead_seconds
        self._max = max_per_run

    def run(self) -> ReleaseRun:
        now = datetime.fromtimestamp(self._clock(), UTC)
        queued = passed_over = 0
        for organisation, alert_id in self._alerts.due(utc_text(now + timedelta(seconds=self._lookahead)),
                                                       self._max):
            found = self._alerts.get(organisation, alert_id)  # the index lags: the alert itself decides
            alert = found[0] if found else None
            if alert is None or alert.status is not Status.SCHEDULED or alert.send_at is None:
                passed_over += 1
                continue
            wait = (alert.send_at - now).total_seconds()
            if wait > self._lookahead:
                passed_over += 1
                continue
            self._jobs.put(PlanJob(organisation, alert_id, release_id=self._new_id()).message(),
                           delay_seconds=max(0, math.ceil(wait)))
            queued += 1
        return ReleaseRun(queued, passed_over)
