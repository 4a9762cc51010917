"""A preview: what an alert would reach and cost, before anything is sent. Pure: no AWS here.

A preview too big for its request is counted by the targeting worker in pieces (services/pipeline/preview.py), each
adding its counts once to the preview's item. This module is the only one that knows the item's attribute names for
the counting state (`PreviewState`), and it turns the counts into what the officer sees (`preview_result`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .alerts import Alert
from .audience import AudienceCounts
from .send_cost import CostSettings, check_cost
from .small_counts import SMALL_COUNT, shown_count, shown_counts, shown_estimate

COUNTING, DONE = "counting", "done"
PIECES_OPEN, DONE_PIECES, ENDS = "pieces_open", "done_pieces", "ends"
_RESIDENTS, _CHANNEL, _LANGUAGE = "count_residents", "count_channel_", "count_language_"


def counters(counts: AudienceCounts) -> dict[str, int]:
    """A piece's additions to the preview's counters, under their stored names."""
    added = {_RESIDENTS: counts.residents}
    added.update({f"{_CHANNEL}{channel}": n for channel, n in counts.by_channel.items() if n})
    added.update({f"{_LANGUAGE}{language}": n for language, n in counts.by_language.items() if n})
    return added


def _prefixed(item: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {name.removeprefix(prefix): int(value) for name, value in sorted(item.items()) if name.startswith(prefix)}


@dataclass(frozen=True)
class PreviewState:
    organisation: str
    requested_by: str
    request: dict[str, Any]  # the alert body the officer previewed
    status: str
    expires_at: int
    requested_at: datetime  # the alert's times were checked against it, and are again when the worker drafts it
    pieces_open: int | None = None  # None: not planned yet; 0: every piece counted
    done_pieces: frozenset[str] = frozenset()
    ends: Mapping[str, str] = field(default_factory=dict)  # piece → where it stopped, until its continuation counts
    counts: AudienceCounts = field(default_factory=AudienceCounts)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> PreviewState:
        open_pieces = item.get(PIECES_OPEN)
        return cls(organisation=str(item["organisation"]), requested_by=str(item["requested_by"]),
                   request=json.loads(item["request"]), status=str(item["status"]),
                   expires_at=int(item["expires_at"]),
                   requested_at=datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00")),
                   pieces_open=None if open_pieces is None else int(open_pieces),
                   done_pieces=frozenset(item.get(DONE_PIECES) or ()), ends=dict(item.get(ENDS) or {}),
                   counts=AudienceCounts(int(item.get(_RESIDENTS, 0)), _prefixed(item, _CHANNEL),
                                         _prefixed(item, _LANGUAGE)))

    @property
    def planned(self) -> bool:
        return self.pieces_open is not None


def preview_result(alert: Alert, counts: AudienceCounts, settings: CostSettings) -> dict[str, Any]:
    """What the officer sees: residents, recipients by channel and residents by language (counts under SMALL_COUNT
    not shown exactly), the SMS's segments, the estimated cost and whether a supervisor must approve the send."""
    by_channel = dict(counts.by_channel)
    checked = check_cost(alert, by_channel, settings)
    sms, cost = checked.sms, checked.estimate
    # Below SMALL_COUNT residents even a language's presence would tell something: none are listed then.
    by_language = dict(counts.by_language) if counts.residents >= SMALL_COUNT else {}
    return {"residents": shown_count(counts.residents), "by_channel": shown_counts(by_channel, alert.channels),
            "by_language": shown_counts(by_language), "sms": {"segments": sms.segments, "encoding": sms.encoding},
            "estimate": shown_estimate(cost, settings.limits), "needs_supervisor": checked.costly,
            "note": "Counts are before suppressed contacts are removed, which happens when the alert is sent. "
                    f"Counts under {SMALL_COUNT}, and costs made from them, are not shown exactly."}
