"""Cross-sender de-duplication: when police and a council (or two partners) send the same appeal, each resident gets
it once. Pure: no AWS here.

Two alerts of one force from different senders (the police, or a partner) are the same appeal when, within a window
of each other (72 hours by default) and over areas that overlap, they share an incident reference, or when all of
these hold:
- their words (title and body, case, whitespace and punctuation folded) have a word-trigram Jaccard similarity at or
  above a threshold (0.8 by default);
- their areas overlap;
- they were sent within the window.

A shared reference also needs the window and the overlap: a reference seen again a month later, or across the
force, is a new appeal to other residents. Updates and cancels never count: they follow their alert on purpose.

The later alert is linked to the earlier ones (`Alert.duplicate_of`, set by the plan stage), and the shard stage
leaves out every resident an earlier one reached, asking the ledger's index by contact about each recipient: the cost
grows with the later alert's recipients, never with the history.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from .alerts import Alert
from .coverage import Area, Circle, Target
from .projection import LocalPlane

_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class DedupSettings:
    threshold: float = 0.8
    window_seconds: int = 72 * 3600

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> DedupSettings:
        return cls(threshold=float(values.get("threshold", 0.8)),
                   window_seconds=int(float(values.get("window_hours", 72)) * 3600))


def normalised_words(text: str) -> list[str]:
    """Case, whitespace and punctuation folded (accents too), so that "Appeal: witnesses!" and "appeal witnesses"
    read the same."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return [word for word in _NOT_WORD.sub(" ", folded).split() if word]


def trigrams(text: str) -> frozenset[tuple[str, ...]]:
    words = normalised_words(text)
    if len(words) < 3:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + 3]) for i in range(len(words) - 2))


def jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def words_of(alert: Alert) -> str:
    content = next(iter(alert.content.values()))
    return f"{content.title} {content.body}"


def same_reference(a: Alert, b: Alert) -> bool:
    return bool(a.incident_ref) and "".join(normalised_words(a.incident_ref)) == \
        "".join(normalised_words(b.incident_ref))


def similar_words(a: Alert, b: Alert, threshold: float) -> bool:
    return jaccard(trigrams(words_of(a)), trigrams(words_of(b))) >= threshold


def within(a: datetime, b: datetime, window_seconds: int) -> bool:
    return abs((a - b).total_seconds()) <= window_seconds


def _shape(target: Target, plane: LocalPlane) -> BaseGeometry:
    if isinstance(target, Circle):
        x, y = plane.point(target.lat, target.lng)
        return shapely.Point(x, y).buffer(target.radius_m, quad_segs=16)
    assert isinstance(target, Area)
    polygons = [shapely.Polygon(rings[0], rings[1:]) for rings in target.polygons]
    return shapely.make_valid(plane.project(shapely.MultiPolygon(polygons)))


def _centre(target: Target) -> tuple[float, float]:
    if isinstance(target, Circle):
        return target.lat, target.lng
    lng, lat = target.polygons[0][0][0][:2]
    return float(lat), float(lng)


def overlap(a: Target, b: Target) -> bool:
    """Whether two targets share any ground, judged in metres on a plane centred on the first."""
    plane = LocalPlane(*_centre(a))
    return bool(_shape(a, plane).intersects(_shape(b, plane)))


def sender_key(alert: Alert) -> str:
    """Who sent it, for de-duplication: the force's police (any officer), or one partner."""
    return alert.source.partner or "police"


def same_appeal(later: Alert, earlier: Alert, later_target: Target, earlier_target: Target,
                settings: DedupSettings) -> bool:
    """Whether `later` repeats `earlier`'s appeal (the module's docstring says when). Only across senders: a sender
    repeating itself means to, and an update or a cancel follows its alert on purpose."""
    if later.id == earlier.id or later.type != "alert" or earlier.id in later.references:
        return False
    if sender_key(later) == sender_key(earlier):
        return False
    if same_reference(later, earlier):
        return within(later.send_at or later.created_at, earlier.send_at or earlier.created_at,
                      settings.window_seconds) and overlap(later_target, earlier_target)
    sent_later = later.send_at or later.created_at
    sent_earlier = earlier.send_at or earlier.created_at
    return (within(sent_later, sent_earlier, settings.window_seconds)
            and similar_words(later, earlier, settings.threshold) and overlap(later_target, earlier_target))
