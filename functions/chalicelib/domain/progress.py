"""How far an alert's delivery has gone, as one typed object: the plan, the frozen audience, the releases, and when
the alert may be called sent. Pure: no AWS here.

The ledger stores it in one item per alert (adapters/ledger.py, `~targeting`), under the attribute names in
`ATTRIBUTE`; this module is the only one that knows them. Counters are added with DynamoDB's ADD, once per finished
piece, so they are exact however often a job is redelivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .small_counts import shown_counts

# A recipient's states in the ledger, and which of them end its delivery.
QUEUED, CLAIMED, SENT, FAILED, BOUNCED = "queued", "claimed", "sent", "failed", "bounced"
UNCONFIRMED, SUPPRESSED, CANCELLED, ERASED = "unconfirmed", "suppressed", "cancelled", "erased"
DELIVERED = "delivered"  # after sent: the provider says it arrived (counted as sent as well)
FINISHED_STATES = (SENT, FAILED, UNCONFIRMED, SUPPRESSED, CANCELLED, ERASED)

# Per-channel counters, stored as `<name>_<channel>`.
AUDIENCE, SUPPRESSED_AT_TARGETING, RELEASED = "audience", "suppressed", "released"
ALREADY_REACHED = "duplicate"  # left out at targeting: an earlier alert of the same appeal reached them (per channel)
ALREADY_REACHED_RESIDENTS = "duplicate_residents"  # the same, as residents
RELEASES_DONE, COSTLY = "releases_done", "costly"
EARLY_RELEASE_PIECES = "early_release_pieces"  # pieces that queued their own recipients for delivery
PIECE_END = "end_"  # `end_<piece>`: where a piece stopped, kept until its continuation has counted


def piece_end_attribute(piece: str) -> str:
    return f"{PIECE_END}{piece}"


def counter(kind: str, channel: str) -> str:
    """The attribute name of one per-channel counter (kind: AUDIENCE, SUPPRESSED_AT_TARGETING or RELEASED)."""
    return f"{kind}_{channel}"


def _by_channel(item: Mapping[str, Any], kind: str) -> dict[str, int]:
    prefix = f"{kind}_"
    return {name.removeprefix(prefix): int(value) for name, value in sorted(item.items())
            if name.startswith(prefix) and isinstance(value, int | float)}


@dataclass(frozen=True)
class Progress:
    shards_total: int | None = None  # None: not planned yet
    pieces_done: frozenset[str] = frozenset()
    shards_done: frozenset[str] = frozenset()
    audience: Mapping[str, int] = field(default_factory=dict)  # queued recipients by channel, once targeted
    suppressed: Mapping[str, int] = field(default_factory=dict)  # left out at targeting (bounced, opted out…)
    released: Mapping[str, int] = field(default_factory=dict)  # handed to delivery, by channel
    releases_total: int | None = None  # None: not decided yet (or held for a supervisor)
    releases_done: int = 0
    costly: bool = False
    early_release_pieces: int = 0  # > 0: the shards released as they went, so there are no release jobs
    ends: Mapping[str, str] = field(default_factory=dict)  # piece → where it stopped (domain/jobs.py: piece_end)
    already_reached: Mapping[str, int] = field(default_factory=dict)  # by channel (domain/dedup.py)
    already_reached_residents: int = 0

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Progress:
        if not item:
            return cls()
        total = item.get("shards_total")
        releases = item.get("releases_total")
        return cls(shards_total=None if total is None else int(total),
                   pieces_done=frozenset(item.get("done_pieces", ())),
                   shards_done=frozenset(item.get("done_shards", ())),
                   audience=_by_channel(item, AUDIENCE), suppressed=_by_channel(item, SUPPRESSED_AT_TARGETING),
                   released=_by_channel(item, RELEASED),
                   releases_total=None if releases is None else int(releases),
                   releases_done=int(item.get(RELEASES_DONE, 0)), costly=bool(item.get(COSTLY)),
                   early_release_pieces=int(item.get(EARLY_RELEASE_PIECES, 0)),
                   already_reached={channel: n for channel, n in _by_channel(item, ALREADY_REACHED).items()
                                    if channel != "residents"},
                   already_reached_residents=int(item.get(ALREADY_REACHED_RESIDENTS, 0)),
                   ends={name.removeprefix(PIECE_END): str(value) for name, value in item.items()
                         if name.startswith(PIECE_END)})

    @property
    def planned(self) -> bool:
        return self.shards_total is not None

    @property
    def targeted(self) -> bool:
        """Every shard has written its recipients to the ledger."""
        return self.shards_total is not None and len(self.shards_done) >= self.shards_total

    @property
    def decided(self) -> bool:
        """Released (or found empty); not while held for a supervisor."""
        return self.releases_total is not None

    @property
    def audience_size(self) -> int | None:
        return sum(self.audience.values()) if self.audience else None

    def finished(self, tally: Mapping[str, int]) -> bool:
        """Every release job ran and every released recipient has an outcome: the alert may be called sent."""
        if self.releases_total is None or self.releases_done < self.releases_total:
            return False
        return all(sum(int(tally.get(f"{channel}_{state}", 0)) for state in FINISHED_STATES) >= released
                   for channel, released in self.released.items())


def audience_counts(audience: Mapping[str, int], suppressed: Mapping[str, int],
                    already_reached: Mapping[str, int] | None = None, already_reached_residents: int = 0
                    ) -> dict[str, int]:
    """A shard piece's additions to the counters."""
    counts = {counter(AUDIENCE, channel): n for channel, n in audience.items() if n}
    counts.update({counter(SUPPRESSED_AT_TARGETING, channel): n for channel, n in suppressed.items() if n})
    counts.update({counter(ALREADY_REACHED, channel): n for channel, n in (already_reached or {}).items() if n})
    if already_reached_residents:
        counts[ALREADY_REACHED_RESIDENTS] = already_reached_residents
    return counts


def early_release_counts(released: Mapping[str, int]) -> dict[str, int]:
    """A shard piece's additions when it queued its own recipients for delivery."""
    counts = {counter(RELEASED, channel): n for channel, n in released.items() if n}
    counts[EARLY_RELEASE_PIECES] = 1
    return counts


def release_counts(channel: str, released: int) -> dict[str, int]:
    """A release job's additions to the counters."""
    return {counter(RELEASED, channel): released, RELEASES_DONE: 1}


def audience_view(progress: Progress, channels: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The frozen audience by channel, counts under SMALL_COUNT shown as "fewer than 5" (domain/small_counts.py)."""
    if not progress.planned:
        return {"status": "not targeted yet"}
    total, done = int(progress.shards_total or 0), len(progress.shards_done)
    return {"status": "frozen" if total and done >= total else "targeting",
            "shards": {"total": total, "done": done},
            "by_channel": shown_counts(dict(progress.audience), channels),
            "suppressed": shown_counts(dict(progress.suppressed))}


def progress_view(progress: Progress, tally: Mapping[str, int], channels: list[str]) -> dict[str, Any]:
    """Per channel: queued (released, not finished), sent, delivered (the provider says it arrived:
    services/receipts.py), failed, bounced, unconfirmed, suppressed, cancelled, erased."""
    shown = {}
    for channel in channels:
        def get(state: str, channel: str = channel) -> int:
            return int(tally.get(f"{channel}_{state}", 0))

        released = int(progress.released.get(channel, 0))
        finished = sum(get(state) for state in FINISHED_STATES)
        shown[channel] = {"queued": max(0, released - finished), "sent": get(SENT) - get(BOUNCED),
                          "failed": get(FAILED), "bounced": get(BOUNCED), "unconfirmed": get(UNCONFIRMED),
                          "suppressed": get(SUPPRESSED) + int(progress.suppressed.get(channel, 0)),
                          "cancelled": get(CANCELLED), "erased": get(ERASED), "delivered": max(0, get(DELIVERED))}
    return shown
