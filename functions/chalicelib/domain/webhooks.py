"""Outbound webhooks to partners: which events there are, which addresses Hexwatch will call, and the event's body.
Pure: no AWS and no network here (resolving names is handed in).

A partner's webhook URL must be `https`, and every address its name resolves to must be public. It is checked when
the partner is registered and again at each delivery, and the delivery connects to an address it checked (never
resolving again), so a partner cannot make Hexwatch call 127.0.0.1 (the Lambda runtime API), 169.254.169.254 (the
metadata service), link-local, private, shared or reserved addresses, even by changing its DNS afterwards. Redirects
are not followed. Locally, `HEXWATCH_WEBHOOK_TEST_RECEIVERS` names exact origins (the test receiver) that may be
called anyway.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# The force's public alerts as they go out, and the officers' decisions on the partner's own moderated alerts.
PUBLISHED, UPDATED, CANCELLED, MODERATED = "alert.published", "alert.updated", "alert.cancelled", "alert.moderated"
WEBHOOK_EVENTS = (PUBLISHED, UPDATED, CANCELLED, MODERATED)
EVENT_OF_TYPE = {"alert": PUBLISHED, "update": UPDATED, "cancel": CANCELLED}
MAX_URL_LENGTH = 500
MAX_ATTEMPTS = 6  # the queue's maxReceiveCount: after the sixth failure the event goes to its dead-letter queue
FIRST_RETRY_SECONDS = 30


class WebhookRefused(Exception):
    """The URL may not be called: the reason is said to the partner (at registration) or recorded (at delivery)."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str  # with its query
    addresses: tuple[str, ...]  # checked: connect to these, never to a fresh lookup


def public_address(text: str) -> bool:
    """An address on the public internet: not loopback, private, link-local, shared, multicast or reserved."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def destination(url: str, resolve: Callable[[str, int], list[str]],
                test_receivers: Collection[str] = ()) -> Destination:
    """Where a webhook may be delivered, or WebhookRefused saying why not."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookRefused(f"is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookRefused("is not a URL") from None
    allowed_anyway = origin_of(url) in {origin.lower().rstrip("/") for origin in test_receivers}
    if parts.scheme != "https" and not allowed_anyway:
        raise WebhookRefused("must be an https:// address")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookRefused("is not a URL")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("must not carry a user name or password")
    if parts.fragment:
        raise WebhookRefused("must not carry a #fragment")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(parts.hostname, port)
    except OSError:
        raise WebhookRefused(f"its host {parts.hostname} cannot be resolved") from None
    if not addresses:
        raise WebhookRefused(f"its host {parts.hostname} cannot be resolved")
    if not allowed_anyway:
        private = sorted({a for a in addresses if not public_address(a)})
        if private:
            raise WebhookRefused(f"resolves to an address that is not public ({private[0]}): Hexwatch calls only "
                                 "public addresses")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # IPv4 first: a Lambda function outside a VPC has no IPv6 route out.
    ordered = sorted(dict.fromkeys(addresses), key=lambda a: ":" in a)
    return Destination(parts.scheme, parts.hostname, port, path, tuple(ordered))


def retry_delay(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: 30 s, then doubling, at most SQS's 15 minutes."""
    return min(900, FIRST_RETRY_SECONDS * 2 ** max(0, attempt - 1))


def event_body(event_id: str, event: str, at: str, alert: dict[str, Any]) -> bytes:
    """The JSON a partner receives, signed like its own requests (domain/partners.py)."""
    return json.dumps({"id": event_id, "type": event, "created_at": at, "alert": alert},
                      separators=(",", ":"), sort_keys=True).encode("utf-8")
