"""Who among the residents inside an alert's area receives it, and on which channels. Pure: no AWS here.

A location item carries the resident's reachable channels, categories, groups and sectors (domain/residents.py), so
the filter needs no second read. A resident with several locations inside the area is one recipient per channel:
`Audience` keeps one entry per (resident, channel), and the ledger's key makes that hold across shards too.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .coverage import Circle, distance_m

CCTV_GROUP = "cctv"
DEFAULT_FOOTAGE_RADIUS_M = 500.0
LEDGER_BUCKETS = 16  # release segments per channel: enough parallelism for a whole force, few empty Queries


@dataclass(frozen=True)
class Filters:
    category: str
    channels: frozenset[str]
    groups: frozenset[str] = frozenset()  # empty: everyone who chose the category
    business_sectors: frozenset[str] = frozenset()  # empty: every sector
    footage_circle: Circle | None = None  # CCTV operators inside it also get the footage request

    @classmethod
    def of(cls, alert_body: dict[str, Any], footage_center: tuple[float, float] | None = None) -> Filters:
        footage = alert_body.get("footage_request")
        circle = None
        if footage and footage_center is not None:
            circle = Circle(footage_center[0], footage_center[1],
                            float(footage.get("radius_m") or DEFAULT_FOOTAGE_RADIUS_M))
        return cls(category=alert_body["category"], channels=frozenset(alert_body["channels"]),
                   groups=frozenset(alert_body.get("groups") or ()),
                   business_sectors=frozenset(alert_body.get("business_sectors") or ()), footage_circle=circle)


@dataclass(frozen=True)
class Recipient:
    resident_id: str
    channel: str
    language: str
    footage: bool = False  # a registered CCTV operator near the incident: the footage request is added

    @cached_property
    def key(self) -> str:
        # Cached: a shard asks for it several times per recipient, and each time costs a hash.
        return ledger_key(self.channel, self.resident_id)


def ledger_key(channel: str, resident_id: str) -> str:
    return f"{channel}#{bucket_of(resident_id)}#{resident_id}"


def bucket_of(resident_id: str) -> str:
    return f"{hashlib.blake2s(resident_id.encode(), digest_size=1).digest()[0] % LEDGER_BUCKETS:02x}"


def resident_of(key: str) -> str:
    return key.rsplit("#", 1)[1]


def channel_of(key: str) -> str:
    return key.split("#", 1)[0]


def channels_for(filters: Filters, item: dict[str, Any]) -> list[str]:
    """The alert's channels this location's resident receives it on; empty when their choices leave them out."""
    if filters.category not in (item.get("categories") or ()):
        return []
    if filters.groups and not filters.groups & set(item.get("groups") or ()):
        return []
    if filters.business_sectors and not filters.business_sectors & set(item.get("business_sectors") or ()):
        return []
    return sorted(filters.channels & set(item.get("channels") or ()))


def is_footage_operator(filters: Filters, item: dict[str, Any]) -> bool:
    circle = filters.footage_circle
    return (circle is not None and CCTV_GROUP in (item.get("groups") or ())
            and distance_m(circle.lat, circle.lng, float(item["lat"]), float(item["lng"])) <= circle.radius_m)


@dataclass
class Audience:
    """Recipients gathered from location items, one per (resident, channel), with the counts a preview shows."""

    recipients: dict[str, Recipient] = field(default_factory=dict)

    def add_location(self, filters: Filters, item: dict[str, Any]) -> None:
        footage = is_footage_operator(filters, item)
        for channel in channels_for(filters, item):
            recipient = Recipient(str(item["resident_id"]), channel, str(item.get("language") or "en"), footage)
            existing = self.recipients.get(recipient.key)
            if existing is None or (footage and not existing.footage):
                self.recipients[recipient.key] = recipient

    def extend(self, filters: Filters, items: Iterable[dict[str, Any]]) -> None:
        for item in items:
            self.add_location(filters, item)

    def by_channel(self) -> dict[str, int]:
        return dict(sorted(Counter(r.channel for r in self.recipients.values()).items()))

    def by_language(self) -> dict[str, int]:
        """Residents (not messages) by language."""
        languages = {r.resident_id: r.language for r in self.recipients.values()}
        return dict(sorted(Counter(languages.values()).items()))

    def residents(self) -> int:
        return len({r.resident_id for r in self.recipients.values()})
