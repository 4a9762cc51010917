"""Scheduled housekeeping: signups never verified are removed after a few days (data minimisation)."""

from __future__ import annotations

import os
import time

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from .. import config
from ..bootstrap import services
from ..observability import logger
from ..services.residents import iso

housekeeping_workers = Blueprint(__name__)


@housekeeping_workers.schedule(Rate(1, unit=Rate.HOURS))
def purge_unverified(event: CloudWatchEvent) -> None:
    days = int(os.environ.get(config.PENDING_SIGNUP_DAYS_ENV, "7"))
    purged = services().residents.purge_unverified(iso(time.time() - days * 86400))
    logger.info("unverified signups purged", extra={"count": purged})
