"""The force dashboard's resident figures, kept as counters fed by the residents table's stream. Pure: no AWS here.

Each change to a resident's profile arrives with the profile before and after (the stream's old and new images).
`cells` says which counters a profile stands in: for each force whose boundary holds one of its places, the force as a
whole and each of the force's named areas that holds a place, and, within the force, each channel, category and
watch scheme it chose, plus each kind of contact it has verified. `changes` turns the two sets into counter updates:
the running totals go up or down by one, and the week's "joined" or "left" counter of that cell goes up by one.

A resident is counted only while active (verified, not erased). Erasure deletes the profile, so its cells leave the
totals and count once as "left" that week; the counters hold only numbers, never who was counted.

`shown` hides any cell below SMALL_COUNT ("fewer than 5"), and where a breakdown would then hide exactly one cell it
hides the next smallest as well, so that no hidden cell can be worked out from the total and its shown neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .small_counts import FEWER_THAN, SMALL_COUNT

ACTIVE = "active"
ALL = "all"
DIMENSIONS = ("area", "channel", "category", "group")
TOTAL_PREFIX = "total"
WEEK_PREFIX = "week"

# (organisation, metric, dimension, value): metric "members" (dimensions above, or "all"/"all") or "verified" (the
# dimension "contact", by kind).
Cell = tuple[str, str, str, str]
Locate = Callable[[float, float], Iterable[tuple[str, str | None]]]  # (org, area id or None for the boundary only)


def iso_week(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def cells(profile: Mapping[str, Any] | None, locate: Locate) -> set[Cell]:
    """The cells a stored profile (a plain dict, as the stream's image deserialised) counts in."""
    if not profile or profile.get("status") != ACTIVE:
        return set()
    areas: dict[str, set[str]] = {}
    for place in profile.get("locations") or []:
        for organisation, area in locate(float(place["lat"]), float(place["lng"])):
            found = areas.setdefault(organisation, set())
            if area:
                found.add(area)
    found_cells: set[Cell] = set()
    for organisation, area_ids in areas.items():
        found_cells.add((organisation, "members", ALL, ALL))
        found_cells.update((organisation, "members", "area", area) for area in area_ids)
        for dimension, field in (("channel", "channels"), ("category", "categories"), ("group", "groups")):
            found_cells.update((organisation, "members", dimension, str(value)) for value in profile.get(field) or [])
        for contact in profile.get("contacts") or []:
            if contact.get("verified_at"):
                found_cells.add((organisation, "verified", "contact", str(contact["kind"])))
    return found_cells


def counter_key(cell: Cell, week: str | None = None, movement: str | None = None) -> tuple[str, str]:
    """(partition, sort key) of a counter: the running total, or a week's joined/left count."""
    organisation, metric, dimension, value = cell
    if week is None:
        return organisation, f"{TOTAL_PREFIX}#{metric}#{dimension}#{value}"
    return organisation, f"{WEEK_PREFIX}#{week}#{metric}-{movement}#{dimension}#{value}"


def changes(before: set[Cell], after: set[Cell], week: str) -> dict[tuple[str, str], int]:
    """Counter updates for one profile change: +1/-1 on the totals, +1 on the week's joined or left."""
    updates: dict[tuple[str, str], int] = {}
    for cell in after - before:
        updates[counter_key(cell)] = 1
        updates[counter_key(cell, week, "joined")] = 1
    for cell in before - after:
        updates[counter_key(cell)] = -1
        updates[counter_key(cell, week, "left")] = 1
    return updates


def recount(profiles: Iterable[Mapping[str, Any]], locate: Locate) -> dict[tuple[str, str], int]:
    """The running totals counted afresh from every profile (an operator's repair, never a request's work)."""
    found: dict[tuple[str, str], int] = {}
    for profile in profiles:
        for cell in cells(profile, locate):
            key = counter_key(cell)
            found[key] = found.get(key, 0) + 1
    return found


# --- reading the counters back ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    key: str  # the sort key
    count: int


def shown(counts: Mapping[str, int], always: Iterable[str] = ()) -> dict[str, int | str]:
    """One breakdown as shown: small cells hidden, and a second cell hidden wherever only one would be. Keys in
    `always` are listed even when nobody was ever counted there, so that a missing key cannot mean "none"."""
    counts = {**{key: 0 for key in always}, **counts}
    hidden = {key for key, count in counts.items() if count < SMALL_COUNT}
    if len(hidden) == 1 and len(counts) > 1:
        visible = sorted((count, key) for key, count in counts.items() if key not in hidden)
        hidden.add(visible[0][1])
    return {key: (FEWER_THAN if key in hidden else count) for key, count in sorted(counts.items())}


def totals(counters: Iterable[Counter]) -> dict[str, dict[str, dict[str, int]]]:
    """metric -> dimension -> value -> count, from the running totals (sort keys total#metric#dimension#value)."""
    found: dict[str, dict[str, dict[str, int]]] = {}
    for counter in counters:
        if counter.key.startswith(f"{TOTAL_PREFIX}#"):
            _, metric, dimension, value = counter.key.split("#", 3)
            found.setdefault(metric, {}).setdefault(dimension, {})[value] = counter.count
    return found


def weekly(counters: Iterable[Counter]) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """week -> movement (members-joined, members-left, ...) -> dimension -> value -> count."""
    found: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for counter in counters:
        if counter.key.startswith(f"{WEEK_PREFIX}#"):
            _, week, movement, dimension, value = counter.key.split("#", 4)
            found.setdefault(week, {}).setdefault(movement, {}).setdefault(dimension, {})[value] = counter.count
    return found
