"""services/stats.py's dashboard with fakes for its stores: what an officer sees for each week."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.alerts import Alert
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.officers import Officer, Role
from chalicelib.domain.small_counts import FEWER_THAN
from chalicelib.domain.stats import Counter
from chalicelib.services.stats import StatsService, as_csv

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp()  # a Thursday of 2026-W49


class FakeCounters:
    def __init__(self, counters: list[Counter]) -> None:
        self.items = counters

    def apply(self, event_id: str, updates: dict[tuple[str, str], int]) -> bool:
        return True

    def counters(self, organisation: str, prefix: str, after: str | None = None) -> list[Counter]:
        return [c for c in self.items if c.key.startswith(prefix) and (after is None or c.key > after)]

    def replace_totals(self, organisation: str, totals: dict[str, int]) -> int:
        return 0


class FakeConversations:
    def replies_between(self, organisation: str, start: float, end: float) -> int:
        return 7 if start <= NOW < end else 2  # this week 7, earlier weeks 2 each

    def answers_for(self, alert_id: str) -> int:
        return 3


class NoAlerts:
    def sent_since(self, organisation: str, created_after: float) -> list[Alert]:
        return []


class NoLedger:
    def targeting(self, alert_id: str) -> dict[str, Any]:
        return {}

    def tally(self, alert_id: str) -> dict[str, int]:
        return {}


def service(counters: list[Counter]) -> StatsService:
    return StatsService(counters=FakeCounters(counters), locate=lambda lat, lng: [], alerts=NoAlerts(),
                        ledger=NoLedger(), area_names=lambda org: {"north": "North", "south": "South"},
                        clock=lambda: NOW, conversations=FakeConversations())


def officer(role: Role = Role.SUPERVISOR, areas: tuple[str, ...] = ()) -> Officer:
    return Officer(sub="s", username="u", organisation="force", role=role, areas=areas,
                   whole_organisation=not areas)


def test_this_weeks_replies_show_and_small_weeks_hide() -> None:
    view = service([Counter("total#members#all#all", 40)]).dashboard(officer())
    assert view["weeks"][-1] == "2026-W49" and len(view["alerts"]) == 8
    assert view["alerts"][-1]["replies"] == 7
    assert view["alerts"][0]["replies"] == FEWER_THAN
    assert view["members"]["all"] == 40
    assert "replies,all,all,2026-W49,7" in as_csv(view)


def test_an_area_limited_officer_sees_only_their_areas_members() -> None:
    counters = [Counter("total#members#all#all", 40), Counter("total#members#area#north", 30),
                Counter("total#members#area#south", 10)]
    view = service(counters).dashboard(officer(Role.OFFICER, ("north",)))
    assert view["scope"] == "areas"
    assert view["members"] == {"by_area": {"north": 30}}
    assert "weekly" not in view and "alerts" not in view


def test_volunteers_are_refused() -> None:
    with pytest.raises(HexwatchError) as refused:
        service([]).dashboard(officer(Role.VOLUNTEER))
    assert refused.value.status == 403
