"""Scheduled housekeeping: signups never verified are removed after a few days (data minimisation), alerts stuck in
`sending` are counted every five minutes for the operators' alarm, and every minute scheduled alerts due within the
minute are handed to the targeting queue (services/scheduled_release.py)."""

from __future__ import annotations

import os
import time

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from .. import config
from ..bootstrap import scheduled_release, sending_watch, services
from ..observability import logger, metrics, wrap_when_alone
from ..services.residents import iso

housekeeping_workers = Blueprint(__name__)


@housekeeping_workers.schedule(Rate(1, unit=Rate.HOURS))
def purge_unverified(event: CloudWatchEvent) -> None:
    days = int(os.environ.get(config.PENDING_SIGNUP_DAYS_ENV, "7"))
    purged = services().residents.purge_unverified(iso(time.time() - days * 86400))
    logger.info("unverified signups purged", extra={"count": purged})


@housekeeping_workers.schedule(Rate(5, unit=Rate.MINUTES))
def watch_sending(event: CloudWatchEvent) -> None:
    stuck = sending_watch().stuck()
    # Emitted every run, zero included, so that the alarm (AlertsStuckSending >= 1) sees the metric recover.
    metrics.add_metric(name="AlertsStuckSending", unit="Count", value=len(stuck))
    for alert in stuck:
        logger.warning("alert stuck in sending", extra={"organisation": alert.organisation, "alert_id": alert.alert_id,
                                                          "sending_for_seconds": alert.sending_for_seconds})
    reconciled = sending_watch().reconcile(stuck)
    if reconciled:
        logger.info("stuck alerts re-planned", extra={"count": reconciled})


@housekeeping_workers.schedule(Rate(1, unit=Rate.MINUTES))
def release_scheduled(event: CloudWatchEvent) -> None:
    run = scheduled_release().run()
    metrics.add_metric(name="ScheduledAlertsQueued", unit="Count", value=run.queued)
    if run.queued or run.passed_over:
        logger.info("scheduled alerts released", extra={"queued": run.queued, "passed_over": run.passed_over})


# In Lambda each of these is loaded on its own, without app.py (observability.wrap_when_alone says why).
wrap_when_alone(purge_unverified, watch_sending, release_scheduled)
