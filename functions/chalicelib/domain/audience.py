"""Who among the residents inside an alert's area receives it, and on which channels. Pure: no AWS here.

A location item carries the resident's reachable channels, categories, groups and sectors (domain/residents.py), so
the filter needs no second read. A resident with several locations inside the area is one recipient per channel:
`Audience` keeps one entry per (resident, channel) within one read. Across reads (shard pieces, preview pieces) the
items of a resident with several locations carry all of them (`places`, and their own `place` in it), so that only
the first of them inside the area counts the resident: counts add up exactly, with no shared state between pieces.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    # A partner's alert: the partner's type (domain/partners.py). Only residents who chose to hear from that kind of
    # sender receive it; None (the police) reaches everyone.
    sender_type: str | None = None

    @classmethod
    def of(cls, alert_body: dict[str, Any], footage_center: tuple[float, float] | None = None) -> Filters:
        footage = alert_body.get("footage_request")
        circle = None
        if footage and footage_center is not None:
            circle = Circle(footage_center[0], footage_center[1],
                            float(footage.get("radius_m") or DEFAULT_FOOTAGE_RADIUS_M))
        return cls(category=alert_body["category"], channels=frozenset(alert_body["channels"]),
                   groups=frozenset(alert_body.get("groups") or ()),
                   business_sectors=frozenset(alert_body.get("business_sectors") or ()), footage_circle=circle,
                   sender_type=alert_body.get("sender_type"))


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


Inside = Callable[[float, float], bool]  # the exact test of the area (and the sender's reach) a piece applies
PLACES, PLACE = "places", "place"  # a location item's record of its resident's locations (several only)


def places_attributes(coordinates: Sequence[tuple[float, float]], index: int) -> dict[str, Any]:
    """What the item of the resident's `index`-th location stores about the others; nothing when it is the only one.
    repr() keeps each float exact, so a place tests inside exactly as that place's own item does."""
    if len(coordinates) < 2:
        return {}
    return {PLACES: [f"{lat!r},{lng!r}" for lat, lng in coordinates], PLACE: index}


def _places(item: Mapping[str, Any]) -> list[tuple[float, float]]:
    places = item.get(PLACES)
    if not places:
        return [(float(item["lat"]), float(item["lng"]))]
    return [(float(lat), float(lng)) for lat, lng in (str(text).split(",", 1) for text in places)]


def counts_resident(item: Mapping[str, Any], inside: Inside) -> bool:
    """Whether this location (inside the area) is the one that counts its resident: the first of the resident's
    locations inside the area. Items stored before `places` existed count as a resident's only location."""
    place = int(item.get(PLACE) or 0)
    return not any(inside(lat, lng) for lat, lng in _places(item)[:place])


def channels_for(filters: Filters, item: Mapping[str, Any]) -> list[str]:
    """The alert's channels this location's resident receives it on; empty when their choices leave them out."""
    if filters.category not in (item.get("categories") or ()):
        return []
    if filters.sender_type is not None and filters.sender_type not in (item.get("senders") or ()):
        return []  # residents who joined before partners existed have no `senders`: police only
    if filters.groups and not filters.groups & set(item.get("groups") or ()):
        return []
    if filters.business_sectors and not filters.business_sectors & set(item.get("business_sectors") or ()):
        return []
    return sorted(filters.channels & set(item.get("channels") or ()))


def is_footage_operator(filters: Filters, item: Mapping[str, Any], inside: Inside | None = None) -> bool:
    """A CCTV operator with a location inside the footage circle: this location, or (given `inside`) any of the
    resident's locations inside the area, since only one of their items counts them."""
    circle = filters.footage_circle
    if circle is None or CCTV_GROUP not in (item.get("groups") or ()):
        return False
    places = [p for p in _places(item) if inside(*p)] if inside else [(float(item["lat"]), float(item["lng"]))]
    return any(distance_m(circle.lat, circle.lng, lat, lng) <= circle.radius_m for lat, lng in places)


@dataclass
class Audience:
    """Recipients gathered from location items, one per (resident, channel), with the counts a preview shows."""

    recipients: dict[str, Recipient] = field(default_factory=dict)

    def add_location(self, filters: Filters, item: Mapping[str, Any], inside: Inside | None = None) -> None:
        """Adds the recipients of one location inside the area. Given the area's test, a resident is added only by
        the first of their locations inside it, so pieces that read apart add up without counting anyone twice."""
        if inside is not None and not counts_resident(item, inside):
            return
        footage = is_footage_operator(filters, item, inside)
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

    def counts(self) -> AudienceCounts:
        return AudienceCounts(self.residents(), self.by_channel(), self.by_language())


@dataclass(frozen=True)
class AudienceCounts:
    """What a preview shows of an audience: residents, recipients by channel, residents by language. Pieces that each
    count their residents once (Audience.add_location given the area's test) add up to the whole."""

    residents: int = 0
    by_channel: Mapping[str, int] = field(default_factory=dict)
    by_language: Mapping[str, int] = field(default_factory=dict)
