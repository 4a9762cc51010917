"""SES bounce and complaint notifications (through SNS): the contact goes on the suppression list, and when the mail
was an alert (its `alert_id` tag, or its X-Hexwatch-Alert header), its delivery-ledger entry becomes `bounced`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chalice import Blueprint
from chalice.app import SNSEvent

from .. import config
from ..bootstrap import fanout, services
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


def alert_of(notification: dict) -> str | None:  # type: ignore[type-arg]
    """The alert a notification is about: SES event publishing carries the message's tags; feedback notifications
    carry its headers when "include original headers" is on."""
    mail = notification.get("mail") or {}
    tags = (mail.get("tags") or {}).get("alert_id")
    if isinstance(tags, list) and tags:
        return str(tags[0])
    for header in mail.get("headers") or []:
        if str(header.get("name", "")).lower() == "x-hexwatch-alert":
            return str(header.get("value"))
    return None


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
        alert_id = alert_of(notification)
        if alert_id and reason == "bounced":
            marked = fanout().mark_bounced(alert_id, contact_hash)
            logger.info("alert delivery bounced", extra={"alert_id": alert_id, "marked": marked})
