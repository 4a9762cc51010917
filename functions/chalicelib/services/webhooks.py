"""Outbound webhooks to partners: events are queued where they happen, and a worker delivers them.

- `WebhookEvents` (the producer) queues an event when one of the force's public alerts goes out (`alert.published`,
  `alert.updated` or `alert.cancelled`, by the alert's type), when a published public alert is cancelled
  (`alert.cancelled`), and when an officer approves or rejects a partner's moderated alert (`alert.moderated`, to that
  partner only).
- `WebhookDelivery` (the worker's) fans a force's event out to each partner subscribed to it, then delivers each one:
  the URL is checked again (domain/webhooks.py), the body is signed with the partner's newest secret exactly as the
  partner signs its own requests, and the answer is recorded where the partner can read it. A failure is retried
  after 30 s, 60 s, 120 s... (the queue message's visibility); after MAX_ATTEMPTS it goes to the dead-letter queue.

Delivery is at least once: a worker that dies after the partner's answer and before its record may send an event
again, with the same `Hexwatch-Delivery` id, which partners use to drop repeats.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, Protocol

from ulid import ULID

from ..domain.alert_messages import contact_lines
from ..domain.alerts import Alert, Status
from ..domain.partners import Partner, signature_header
from ..domain.webhooks import (
    CANCELLED,
    EVENT_OF_TYPE,
    MAX_ATTEMPTS,
    MODERATED,
    Destination,
    WebhookRefused,
    destination,
    event_body,
    retry_delay,
)
from .alert_previews import JobQueue
from .alerts import AlertSettings
from .partner_alerts import partner_view

PUBLISHED_STATES = (Status.SENDING, Status.PAUSED, Status.SENT)


class RetryWebhook(Exception):
    """The delivery failed: try again after `delay_seconds`."""

    def __init__(self, delay_seconds: int, reason: str) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds


class PartnerDirectory(Protocol):
    def partner(self, partner_id: str) -> Partner | None: ...
    def partners_of(self, host_force: str) -> list[Partner]: ...


class Alerts(Protocol):
    def get(self, organisation: str, alert_id: str) -> tuple[Alert, Any] | None: ...


class Deliveries(Protocol):
    def record(self, partner_id: str, delivery_id: str, event: str, alert_id: str, state: str, attempts: int,
               at: str, status_code: int | None = None, error: str | None = None) -> None: ...
    def recent(self, partner_id: str, limit: int = 50) -> list[dict[str, Any]]: ...


class Sender(Protocol):
    def post(self, target: Destination, body: bytes, headers: dict[str, str]) -> Any: ...


class WebhookEvents:
    """Queues events; never calls a partner itself, so nothing here waits on a partner's server."""

    def __init__(self, queue: JobQueue, new_id: Callable[[], str] = lambda: str(ULID())) -> None:
        self._queue = queue
        self._new_id = new_id

    def went_out(self, alert: Alert) -> None:
        """A public alert has started going out: published, updated or cancelled, by its type."""
        if alert.public:
            self._fan_out(alert, EVENT_OF_TYPE.get(alert.type, EVENT_OF_TYPE["alert"]))

    def cancelled(self, alert: Alert, was: Status) -> None:
        """A public alert that had gone out was cancelled."""
        if alert.public and was in PUBLISHED_STATES:
            self._fan_out(alert, CANCELLED)

    def moderated(self, alert: Alert) -> None:
        """An officer approved or rejected a partner's alert: that partner hears, if it subscribed."""
        if alert.source.partner:
            self._queue.put({"type": "deliver", "event": MODERATED, "organisation": alert.source.organisation,
                             "alert_id": alert.id, "partner_id": alert.source.partner, "delivery_id": self._new_id()})

    def _fan_out(self, alert: Alert, event: str) -> None:
        self._queue.put({"type": "fanout", "event": event, "organisation": alert.source.organisation,
                         "alert_id": alert.id, "event_id": self._new_id()})


class WebhookDelivery:
    def __init__(self, *, partners: PartnerDirectory, alerts: Alerts, deliveries: Deliveries, sender: Sender,
                 queue: JobQueue, settings: AlertSettings, resolve: Callable[[str, int], list[str]],
                 test_receivers: Collection[str] = (), clock: Callable[[], float] = time.time) -> None:
        self._partners = partners
        self._alerts = alerts
        self._deliveries = deliveries
        self._sender = sender
        self._queue = queue
        self._settings = settings
        self._resolve = resolve
        self._test_receivers = test_receivers
        self._clock = clock

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    def handle(self, message: dict[str, Any], attempt: int) -> str:
        if message.get("type") == "fanout":
            return self._fan_out(message)
        if message.get("type") == "deliver":
            return self._deliver(message, attempt)
        return "skipped: not a webhook job"

    def _fan_out(self, message: dict[str, Any]) -> str:
        event = str(message["event"])
        subscribed = [p for p in self._partners.partners_of(str(message["organisation"]))
                      if p.webhook_url and event in p.webhook_events and p.secrets]
        for partner in subscribed:  # the same delivery id on a redelivered fan-out: the record says it was sent
            self._queue.put({"type": "deliver", "event": event, "organisation": message["organisation"],
                             "alert_id": message["alert_id"], "partner_id": partner.id,
                             "delivery_id": str(message["event_id"])})
        return f"fanned out to {len(subscribed)} partners"

    def _deliver(self, message: dict[str, Any], attempt: int) -> str:
        event, delivery_id = str(message["event"]), str(message["delivery_id"])
        partner = self._partners.partner(str(message["partner_id"]))
        found = self._alerts.get(str(message["organisation"]), str(message["alert_id"]))
        if partner is None or found is None or not partner.webhook_url or event not in partner.webhook_events \
                or not partner.secrets:
            return "skipped: no such partner, alert or subscription"
        if any(d["delivery_id"] == delivery_id and d["state"] == "delivered"
               for d in self._deliveries.recent(partner.id)):
            return "skipped: delivered before"
        alert = found[0]
        body = event_body(delivery_id, event, self._now(), self._view(alert, event))
        secret = partner.secrets[-1]  # the newest: a partner that rotated verifies with the new one
        headers = {"Hexwatch-Signature": signature_header(secret.id, secret.secret, int(self._clock()), body),
                   "Hexwatch-Event": event, "Hexwatch-Delivery": delivery_id}
        try:
            target = destination(partner.webhook_url, self._resolve, self._test_receivers)
        except WebhookRefused as refusal:
            return self._failed(partner, message, attempt, None, f"address refused: {refusal}")
        response = self._sender.post(target, body, headers)
        if response.delivered:
            self._deliveries.record(partner.id, delivery_id, event, alert.id, "delivered", attempt, self._now(),
                                    response.status)
            return f"delivered to {partner.id}"
        return self._failed(partner, message, attempt, response.status, response.error)

    def _failed(self, partner: Partner, message: dict[str, Any], attempt: int, status: int | None,
                error: str | None) -> str:
        last = attempt >= MAX_ATTEMPTS
        self._deliveries.record(partner.id, str(message["delivery_id"]), str(message["event"]),
                                str(message["alert_id"]), "dead-lettered" if last else "retrying", attempt,
                                self._now(), status, error)
        raise RetryWebhook(retry_delay(attempt), error or "failed")

    def _view(self, alert: Alert, event: str) -> dict[str, Any]:
        if event == MODERATED:
            return partner_view(alert)
        content = next(iter(alert.content.values()))
        links = self._settings.links
        return {"id": alert.id, "organisation": alert.source.organisation, "type": alert.type,
                "status": alert.status.value, "references": alert.references, "title": content.title,
                "body": content.body, "category": alert.category, "priority": alert.priority,
                "incident_ref": alert.incident_ref, "contact": contact_lines(alert),
                "from": self._settings.sender_of(alert), "url": links.full_alert(alert.source.organisation, alert.id),
                "cap_url": f"{links.api_url.rstrip('/')}/v1/feeds/{alert.source.organisation}/alerts/{alert.id}.xml"}

    def deliveries(self, partner: Partner) -> dict[str, Any]:
        """What the partner reads: its recent events and how each delivery went."""
        return {"partner_id": partner.id, "deliveries": self._deliveries.recent(partner.id)}
