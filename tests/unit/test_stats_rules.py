"""The dashboard's counting rules (domain/stats.py): which cells a profile counts in, the counter updates a change
makes, and how small cells are hidden so that none can be worked out from the others."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.domain import stats
from chalicelib.domain.small_counts import FEWER_THAN


def locate(lat: float, lng: float) -> list[tuple[str, str | None]]:
    """Two forces side by side; the west one has areas "north" and "south" split at latitude 53."""
    if lng < -2:
        return [("west", None), ("west", "north" if lat >= 53 else "south")]
    return [("east", None)]


def profile(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "active", "channels": ["email", "sms"], "categories": ["crime"], "groups": ["farm"],
        "locations": [{"lat": 52.5, "lng": -2.5}],
        "contacts": [{"kind": "email", "address": "x@example.org", "verified_at": "2026-12-01T00:00:00Z"},
                     {"kind": "mobile", "address": "+447400000000", "verified_at": None}]}
    return {**base, **changes}


def test_an_active_resident_counts_once_per_force_in_each_area_channel_category_and_scheme() -> None:
    cells = stats.cells(profile(locations=[{"lat": 52.5, "lng": -2.5}, {"lat": 52.6, "lng": -2.4}]), locate)
    assert cells == {("west", "members", "all", "all"), ("west", "members", "area", "south"),
                     ("west", "members", "channel", "email"), ("west", "members", "channel", "sms"),
                     ("west", "members", "category", "crime"), ("west", "members", "group", "farm"),
                     ("west", "verified", "contact", "email")}


def test_places_in_two_forces_count_in_both_and_pending_or_erased_residents_count_nowhere() -> None:
    both = stats.cells(profile(locations=[{"lat": 53.5, "lng": -2.5}, {"lat": 52.0, "lng": -1.0}]), locate)
    assert ("west", "members", "area", "north") in both and ("east", "members", "all", "all") in both
    assert stats.cells(profile(status="pending"), locate) == set()
    assert stats.cells(None, locate) == set()


def test_a_change_moves_only_the_cells_that_changed_and_counts_the_week() -> None:
    before = stats.cells(profile(), locate)
    after = stats.cells(profile(channels=["email"], groups=["farm", "horse"]), locate)
    updates = stats.changes(before, after, "2026-W49")
    assert updates == {
        ("west", "total#members#channel#sms"): -1, ("west", "week#2026-W49#members-left#channel#sms"): 1,
        ("west", "total#members#group#horse"): 1, ("west", "week#2026-W49#members-joined#group#horse"): 1}


def test_erasure_takes_every_cell_out_and_counts_one_leaver() -> None:
    updates = stats.changes(stats.cells(profile(), locate), stats.cells(None, locate), "2026-W49")
    assert updates[("west", "total#members#all#all")] == -1
    assert updates[("west", "week#2026-W49#members-left#all#all")] == 1
    assert all(delta == -1 for (_, key), delta in updates.items() if key.startswith("total#"))


def test_weeks_are_iso_weeks_in_utc() -> None:
    assert stats.iso_week(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2026-W53"
    assert stats.iso_week(datetime(2027, 1, 4, 0, 0, tzinfo=UTC)) == "2027-W01"


def test_small_cells_are_hidden_and_a_lone_hidden_cell_takes_its_smallest_neighbour_with_it() -> None:
    # Members 30 = 20 + 7 + 3: hiding the 3 alone would let anyone compute it from the total; the 7 goes too.
    assert stats.shown({"email": 20, "sms": 7, "voice": 3}) == {"email": 20, "sms": FEWER_THAN, "voice": FEWER_THAN}
    assert stats.shown({"email": 20, "sms": 2, "voice": 1}) == {"email": 20, "sms": FEWER_THAN, "voice": FEWER_THAN}
    assert stats.shown({"email": 20, "sms": 9}) == {"email": 20, "sms": 9}
    assert stats.shown({"all": 4}) == {"all": FEWER_THAN}
    assert stats.shown({"a": 0, "b": 5, "c": 6}) == {"a": FEWER_THAN, "b": FEWER_THAN, "c": 6}


def test_counters_read_back_into_totals_and_weeks() -> None:
    counters = [stats.Counter("total#members#channel#email", 12), stats.Counter("total#members#all#all", 14),
                stats.Counter("week#2026-W49#members-joined#all#all", 3)]
    assert stats.totals(counters) == {"members": {"channel": {"email": 12}, "all": {"all": 14}}}
    assert stats.weekly(counters) == {"2026-W49": {"members-joined": {"all": {"all": 3}}}}
