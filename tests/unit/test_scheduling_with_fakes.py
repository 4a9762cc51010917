"""Scheduled alerts on the pipeline's fakes with a clock the test moves minute by minute: the every-minute release
(services/scheduled_release.py) and the plan stage's release (services/pipeline/plan.py) send each scheduled alert
once, at its time, however the runs overlap, and across the Europe/London clock changes."""

from __future__ import annotations

import heapq
import itertools
import math
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.alerts import Status, london_text, parse_time, utc_text
from chalicelib.domain.jobs import PlanJob
from chalicelib.services.scheduled_release import ScheduledRelease

from .pipeline_fakes import STAFFORD, World


class Timeline:
    """SQS as time sees it: a message put with a delay is handled only once the clock reaches it. The schedule fires
    at every whole minute, and messages due between two firings are handled in time order."""

    def __init__(self, world: World, start: datetime) -> None:
        self.world = world
        world.now = start.timestamp()
        self._held: list[tuple[float, int, dict[str, Any], str]] = []
        self._order = itertools.count()
        self.outcomes: list[tuple[str, str]] = []  # (UTC time, what the stage answered)
        ids = itertools.count()
        self.release = ScheduledRelease(world.alerts, world.queues.queue("targeting"), lambda: world.now,
                                        lambda: f"release-{next(ids)}")

    def _collect(self) -> None:
        while self.world.queues.pending:
            message, delay, queue = self.world.queues.pending.popleft()
            heapq.heappush(self._held, (self.world.now + delay, next(self._order), message, queue))

    def advance(self, to: float) -> None:
        self._collect()
        while self._held and self._held[0][0] <= to:
            visible_at, _, message, queue = heapq.heappop(self._held)
            self.world.now = max(self.world.now, visible_at)
            self.world.queues.pending.appendleft((message, 0, queue))
            answered = self.world.run(max_messages=1)
            self.outcomes.append((utc_text(datetime.fromtimestamp(self.world.now, UTC)), answered[0]))
            self._collect()
        self.world.now = to

    def minutes(self, count: int, runs_per_minute: int = 1) -> None:
        """`count` minutes of the schedule firing at each whole minute (twice, when runs overlap)."""
        for _ in range(count):
            next_minute = (math.floor(self.world.now / 60) + 1) * 60
            self.advance(next_minute)
            for _ in range(runs_per_minute):
                self.release.run()
        self.advance(self.world.now + 59)


def scheduled(world: World, send_at: str, number: int) -> Any:
    alert = world.alert(alert_id=f"01SCHED{number:019d}", status=Status.SCHEDULED, send_at=send_at)
    return alert


def released_at(world: World, alert_id: str) -> list[str]:
    """When the alert moved to sending: one entry per move (there must be one)."""
    found = world.alerts.get("staffs", alert_id)
    assert found is not None
    return [step["at"] for step in found[0].history if step["to"] == "sending"]


def test_an_alert_scheduled_hours_ahead_goes_out_once_at_its_second() -> None:
    world = World()
    residents = {world.resident(*STAFFORD, number=n).id for n in range(4)}
    timeline = Timeline(world, datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    alert = scheduled(world, "2027-01-15T12:30:17Z", 1)

    timeline.minutes(209)  # 09:00 to 12:29: nothing goes
    assert world.provider.received == {} and world.alerts.status("staffs", alert.id) is Status.SCHEDULED

    timeline.minutes(3)
    assert released_at(world, alert.id) == ["2027-01-15T12:30:17Z"]
    assert {key.rsplit("#", 1)[1] for key in world.provider.received} == residents
    assert set(world.provider.received.values()) == {1}
    assert world.alerts.status("staffs", alert.id) is Status.SENT
    assert [a for a in world.alerts.actions if a[1] == "send"] == [(alert.id, "send", "scheduled time reached")]


def test_two_runs_that_overlap_queue_two_jobs_and_only_one_releases_the_alert() -> None:
    world = World()
    residents = {world.resident(*STAFFORD, number=n).id for n in range(3)}
    timeline = Timeline(world, datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    alert = scheduled(world, "2027-01-15T10:00:00Z", 1)

    timeline.minutes(62, runs_per_minute=2)
    answers = [answer for _, answer in timeline.outcomes if answer.startswith("skipped")]
    assert answers == ["skipped: released by another job"]
    assert released_at(world, alert.id) == ["2027-01-15T10:00:00Z"]
    assert {key.rsplit("#", 1)[1] for key in world.provider.received} == residents
    assert set(world.provider.received.values()) == {1}


def test_a_release_job_handled_twice_after_it_moved_the_alert_goes_on_and_sends_nobody_twice() -> None:
    """The worker died after the move, before planning: SQS gives the same job again, which must carry on."""
    world = World()
    residents = {world.resident(*STAFFORD, number=n).id for n in range(3)}
    world.now = datetime(2027, 1, 15, 10, 0, tzinfo=UTC).timestamp() - 600
    alert = scheduled(world, "2027-01-15T10:00:00Z", 1)
    world.now += 600
    job = PlanJob("staffs", alert.id, release_id="release-a").message()
    world.queues.pending.append((job, 0, "targeting"))
    world.run(max_messages=1)
    world.queues.pending.clear()  # what the first try queued was lost with it
    world.queues.pending.append((dict(job), 0, "targeting"))
    world.run()
    assert {key.rsplit("#", 1)[1] for key in world.provider.received} == residents
    assert set(world.provider.received.values()) == {1}
    assert world.alerts.status("staffs", alert.id) is Status.SENT


def test_alerts_on_both_sides_of_the_clock_changes_go_at_their_own_instant() -> None:
    """25 October 2026: 01:30 happens twice in London (BST, then GMT). 28 March 2027: 01:00 to 02:00 never does."""
    world = World()
    world.resident(*STAFFORD, number=1)
    autumn = Timeline(world, datetime(2026, 10, 24, 23, 0, tzinfo=UTC))
    first_half_past_one = scheduled(world, "2026-10-25T01:30:00+01:00", 1)  # 00:30 UTC
    second_half_past_one = scheduled(world, "2026-10-25T01:30:00+00:00", 2)  # 01:30 UTC
    assert london_text(parse_time("2026-10-25T01:30:00+01:00", "/send_at")) == "25 October 2026, 01:30 BST"
    assert london_text(parse_time("2026-10-25T01:30:00+00:00", "/send_at")) == "25 October 2026, 01:30 GMT"
    autumn.minutes(100)
    assert released_at(world, first_half_past_one.id) == ["2026-10-25T00:30:00Z"]
    assert released_at(world, second_half_past_one.id) == []  # an hour later, not yet
    autumn.minutes(60)
    assert released_at(world, second_half_past_one.id) == ["2026-10-25T01:30:00Z"]

    spring = Timeline(world, datetime(2027, 3, 27, 23, 0, tzinfo=UTC))
    before_the_gap = scheduled(world, "2027-03-28T00:59:00+00:00", 3)  # the last GMT minute
    after_the_gap = scheduled(world, "2027-03-28T02:00:00+01:00", 4)  # the first BST minute: 01:00 UTC
    spring.minutes(180)
    assert released_at(world, before_the_gap.id) == ["2027-03-28T00:59:00Z"]
    assert released_at(world, after_the_gap.id) == ["2027-03-28T01:00:00Z"]
    # One resident, four alerts, four messages: each alert reached them once.
    assert world.provider.recipients == 4 and world.provider.received.total() == 4


def test_an_alert_moved_later_is_not_sent_by_the_job_queued_for_its_old_time() -> None:
    world = World()
    world.resident(*STAFFORD, number=1)
    timeline = Timeline(world, datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    alert = scheduled(world, "2027-01-15T09:10:00Z", 1)
    # Sent with ten minutes to go: the API queues a release job SQS holds until 09:10.
    world.queues.queue("targeting").put(PlanJob("staffs", alert.id, release_id="at-0910").message(), 600)
    timeline.advance(world.now + 300)
    found = world.alerts.get("staffs", alert.id)
    assert found is not None
    found[0].send_at = parse_time("2027-01-15T11:00:00Z", "/send_at")  # the officer reschedules it
    world.alerts.save(found[0], found[1], "2027-01-15T09:05:00Z")

    timeline.minutes(60)
    assert ("2027-01-15T09:10:00Z", "scheduled: the schedule releases it nearer the time") in timeline.outcomes
    assert world.provider.received == {}
    timeline.minutes(62)
    assert released_at(world, alert.id) == ["2027-01-15T11:00:00Z"]
    assert set(world.provider.received.values()) == {1}


def test_a_cancelled_scheduled_alert_is_never_released() -> None:
    world = World()
    world.resident(*STAFFORD, number=1)
    timeline = Timeline(world, datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    alert = scheduled(world, "2027-01-15T09:30:00Z", 1)
    found = world.alerts.get("staffs", alert.id)
    assert found is not None
    found[0].move(Status.CANCELLED, "officer-sub", datetime(2027, 1, 15, 9, 1, tzinfo=UTC))
    world.alerts.save(found[0], found[1], "2027-01-15T09:01:00Z")
    timeline.minutes(40)
    assert world.provider.received == {} and timeline.outcomes == []
