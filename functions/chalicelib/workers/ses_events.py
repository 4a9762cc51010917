"""SES bounce and complaint notifications (through SNS): the contact goes on the suppression list."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import config
from ..bootstrap import services
from ..domain.contacts import normalise_email
from ..domain.errors import HexwatchError
from ..observability import logger

ses_event_workers = Blueprint(__name__)


def addresses_to_suppress(notification: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """(address, reason) pairs: permanent bounces and every complaint; transient bounces are retried by SES."""
    kind = notification.get("notificationType") or notification.get("eventType")
    if kind == "Bounce" and notification.get("bounce", {}).get("bounceType") == "Permanent":
        return [(r["emailAddress"], "bounced") for r in notification["bounce"].get("bouncedRecipients", [])]
    if kind == "Complaint":
        return [(r["emailAddress"], "complained") for r in notification["complaint"].get("complainedRecipients", [])]
    return []


@ses_event_workers.on_sns_message(topic=config.resource_name(config.SES_EVENTS_TOPIC))
def handle_ses_event(event: SNSEvent) -> None:
    try:
        notification = json.loads(event.message)
    except ValueError:
        logger.warning("SES notification is not JSON; ignored")
        return
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for address, reason in addresses_to_suppress(notification):
        try:
            contact_hash = services().hasher.hash(normalise_email(address))
        except HexwatchError:
            continue
        services().suppressions.suppress(contact_hash, reason, now)
        logger.info("contact suppressed", extra={"reason": reason})
