"""Each pipeline stage driven through its ports with in-memory fakes (tests/unit/pipeline_fakes.py): what an officer
and a resident would notice (who gets the alert, how often, what the alert shows), with no AWS at all."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from chalicelib.domain.alerts import Status
from chalicelib.domain.audience import bucket_of
from chalicelib.domain.coverage import Area, Circle, distance_m
from chalicelib.domain.delivery import Outcome
from chalicelib.domain.frozen_target import from_bytes, to_bytes
from chalicelib.domain.jobs import DeliveryJob, PlanJob, ReleaseJob, ShardJob, delivery_job, targeting_job
from chalicelib.domain.progress import Progress
from chalicelib.services.pipeline.deliver import PARK_DELAY_SECONDS
from chalicelib.services.pipeline.plan import SHARD_RANGES
from chalicelib.services.pipeline.release import RECIPIENTS_PER_MESSAGE

from .pipeline_fakes import STAFFORD, WorkerDied, World


def offset(metres_north: float, metres_east: float) -> tuple[float, float]:
    lat = STAFFORD[0] + metres_north / 111_320
    return lat, STAFFORD[1] + metres_east / (111_320 * math.cos(math.radians(STAFFORD[0])))


def town(world: World, count: int, channels: tuple[str, ...] = ("email",), spacing_m: float = 15) -> list[str]:
    """`count` residents on a grid around the centre of Stafford; their ids."""
    side = math.ceil(math.sqrt(count))
    return [world.resident(*offset((n // side - side / 2) * spacing_m, (n % side - side / 2) * spacing_m),
                           channels, number=n).id for n in range(count)]


def sent_keys(world: World) -> list[str]:
    return sorted(world.provider.received)


def test_jobs_read_back_the_messages_they_write_and_refuse_anything_else() -> None:
    jobs = [PlanJob("staffs", "A1"), ShardJob("staffs", "A1", 2, 3, ()), ReleaseJob("staffs", "A1", "sms", ("0a",))]
    assert [targeting_job(job.message()) for job in jobs] == jobs
    delivery = DeliveryJob("staffs", "A1", "email", ("email#00#R1",), attempt=2)
    assert delivery_job(delivery.message()) == delivery
    for bad in ({"type": "wipe"}, {"type": "plan", "organisation": "staffs"},
                {"type": "release", "organisation": "s", "alert_id": "A", "channel": "fax", "buckets": []}):
        with pytest.raises(ValueError):
            targeting_job(bad)


def test_everyone_inside_gets_the_alert_once_and_it_ends_sent() -> None:
    world = World()
    inside = set(town(world, 300, ("email", "sms")))
    world.resident(*offset(5000, 0), ("email",), number=9999)  # 5 km away: outside the 1 km circle
    alert = world.alert(radius_m=1000, channels=("email", "sms"))
    world.send(alert)
    world.run()
    assert {key.rsplit("#", 1)[1] for key in sent_keys(world)} == inside
    assert set(world.provider.received.values()) == {1}
    assert len(world.provider.received) == 2 * len(inside)
    assert world.alerts.status("staffs", alert.id) is Status.SENT
    progress = Progress.from_item(world.ledger.targeting(alert.id))
    assert progress.audience == {"email": 300, "sms": 300} and progress.released == {"email": 300, "sms": 300}


def test_a_piece_stops_at_its_cap_and_its_continuation_finishes_the_shard_with_exact_counts() -> None:
    world = World(max_locations_per_piece=50)  # made small, to see several pieces
    town(world, 400)
    alert = world.alert(radius_m=2000)
    world.send(alert)
    world.run()
    progress = Progress.from_item(world.ledger.targeting(alert.id))
    assert len(progress.pieces_done) >= 400 // 50  # continued, piece after piece
    assert progress.audience == {"email": 400} and len(world.provider.received) == 400
    shard_messages = [cost for cost in world.costs if cost.kind == "shard"]
    # At most the cap's items read and written, one Query per range of the shard, and a few reads of the alert.
    assert max(cost.calls for cost in shard_messages) <= 2 * 50 + SHARD_RANGES + 10


@pytest.mark.parametrize("elsewhere", [(0, 0), (100, -100), (-100, 100)])
def test_a_resident_whose_two_locations_fall_in_different_pieces_is_counted_once_and_the_alert_ends_sent(
        elsewhere: tuple[float, float]) -> None:
    # Each of these places lands in another piece than the resident's home (found by trying): before the items carried
    # the resident's places, both pieces counted them, `released` ran one over the outcomes and the alert never ended.
    world = World(max_locations_per_piece=50)
    town(world, 400)
    commuter = world.resident(*offset(-140, -145), ("email",), number=5000, elsewhere=[offset(*elsewhere)])
    alert = world.alert(radius_m=2000)
    world.send(alert)
    world.run()
    progress = Progress.from_item(world.ledger.targeting(alert.id))
    assert progress.audience == {"email": 401} and progress.released == {"email": 401}
    assert world.provider.received[f"email#{bucket_of(commuter.id)}#{commuter.id}"] == 1
    assert world.alerts.status("staffs", alert.id) is Status.SENT


def test_a_resident_with_a_place_outside_the_area_is_counted_by_the_place_inside() -> None:
    world = World(max_locations_per_piece=50)
    town(world, 100)
    # Home 5 km away (outside the circle), work in town: the work item counts them, since home is not inside.
    commuter = world.resident(*offset(5000, 0), ("email",), number=5000, elsewhere=[offset(20, 20)])
    alert = world.alert(radius_m=1000)
    world.send(alert)
    world.run()
    assert Progress.from_item(world.ledger.targeting(alert.id)).audience == {"email": 101}
    assert world.provider.received[f"email#{bucket_of(commuter.id)}#{commuter.id}"] == 1


def test_a_redelivered_plan_or_release_never_targets_or_queues_again() -> None:
    world = World()
    town(world, 120)
    alert = world.alert()
    world.send(alert)
    world.run()
    released_messages = len([cost for cost in world.costs if cost.queue == "email"])
    world.send(alert)  # the plan message again (SQS delivers at least once; the reconciler re-queues plans)
    world.queues.pending.append((ReleaseJob("staffs", alert.id, "email", tuple(f"{b:02x}" for b in range(16)))
                                 .message(), 0, "targeting"))
    world.run()
    assert len([cost for cost in world.costs if cost.queue == "email"]) == released_messages
    assert set(world.provider.received.values()) == {1}
    assert Progress.from_item(world.ledger.targeting(alert.id)).released == {"email": 120}  # counted once


def test_a_costly_sms_send_by_an_officer_is_held_for_a_supervisor_and_nothing_is_sent() -> None:
    world = World()
    town(world, 1200, ("sms",), spacing_m=10)  # over the 1,000 SMS a send may make without a supervisor
    alert = world.alert(channels=("sms",))
    world.send(alert)
    world.run()
    assert world.alerts.status("staffs", alert.id) is Status.PENDING_APPROVAL
    assert world.provider.calls == 0
    assert Progress.from_item(world.ledger.targeting(alert.id)).costly


def test_release_queues_recipients_many_to_a_message() -> None:
    world = World()
    town(world, 250)
    alert = world.alert()
    world.send(alert)
    world.run(max_messages=1_000_000)
    email_messages = [cost for cost in world.costs if cost.queue == "email"]
    assert len(email_messages) >= math.ceil(250 / RECIPIENTS_PER_MESSAGE)


def test_a_duplicate_delivery_message_sends_nobody_twice() -> None:
    world = World()
    town(world, 30)
    alert = world.alert()
    world.send(alert)
    world.run_targeting()
    duplicates = list(world.queues.pending)
    world.queues.pending.extend(duplicates)
    world.run()
    assert len(world.provider.received) == 30 and set(world.provider.received.values()) == {1}


def test_quota_errors_park_the_message_show_the_alert_paused_and_it_resumes_to_sent() -> None:
    world = World()
    town(world, 20)
    alert = world.alert()
    world.provider.refusals.extend([Outcome.QUOTA])
    world.send(alert)
    world.run_targeting()
    outcome = world.run(max_messages=1)[0]
    assert "parked (SendingPausedException)" in outcome
    assert world.provider.calls == 1 and world.sleeps == []  # no pauses and no retries within the invocation
    assert world.alerts.status("staffs", alert.id) is Status.PAUSED
    parked = world.queues.pending[-1]
    assert PARK_DELAY_SECONDS / 2 <= parked[1] <= PARK_DELAY_SECONDS
    assert ("pause" in [action for _, action, _ in world.alerts.actions])
    world.run()
    assert world.alerts.status("staffs", alert.id) is Status.SENT
    assert len(world.provider.received) == 20 and set(world.provider.received.values()) == {1}
    assert "resume" in [action for _, action, _ in world.alerts.actions]


def test_throttling_is_retried_within_the_invocation_after_short_pauses() -> None:
    world = World()
    town(world, 5)
    alert = world.alert()
    world.provider.refusals.extend([Outcome.RETRYABLE, Outcome.RETRYABLE])
    world.send(alert)
    world.run()
    assert len(world.sleeps) == 2 and world.alerts.status("staffs", alert.id) is Status.SENT
    assert set(world.provider.received.values()) == {1}


def test_an_entry_erased_after_release_is_skipped_and_the_alert_still_ends_sent() -> None:
    world = World()
    ids = town(world, 10)
    alert = world.alert()
    world.send(alert)
    world.run_targeting()
    erased = next(key for key in world.ledger.items[alert.id] if key.endswith(ids[0]))
    world.ledger.erase(alert.id, erased)
    world.run()
    assert erased not in world.provider.received and len(world.provider.received) == 9
    assert world.ledger.items[alert.id][erased] == {"contact": world.ledger.items[alert.id][erased]["contact"]}
    assert world.alerts.status("staffs", alert.id) is Status.SENT


def test_a_resident_gone_before_their_send_is_recorded_as_a_tombstone_and_never_sent() -> None:
    world = World()
    ids = town(world, 10)
    alert = world.alert()
    world.send(alert)
    world.run_targeting()
    del world.residents.residents[ids[3]]  # erased between targeting and delivery
    world.run()
    assert len(world.provider.received) == 9
    assert world.ledger.tally(alert.id).get("email_erased") == 1
    assert world.alerts.status("staffs", alert.id) is Status.SENT


def test_nobody_outside_the_circle_is_sent_to_even_at_its_edge() -> None:
    world = World()
    residents = [world.resident(*offset(metres, 0), number=n) for n, metres in enumerate((980, 996, 1004, 1020))]
    alert = world.alert(radius_m=1000)
    world.send(alert)
    world.run()
    reached = {key.rsplit("#", 1)[1] for key in world.provider.received}
    inside = {r.id for r in residents
              if distance_m(STAFFORD[0], STAFFORD[1], r.locations[0].lat, r.locations[0].lng) <= 1000}
    assert reached == inside and len(inside) == 2


def test_the_reconciler_recovers_a_lost_delivery_message_and_nobody_gets_the_alert_twice() -> None:
    world = World()
    town(world, 250)
    alert = world.alert()
    world.send(alert)
    world.run_targeting()
    lost = world.queues.pending.popleft()  # a delivery message lost (or dead-lettered): the alert would stay sending
    world.run()
    assert world.alerts.status("staffs", alert.id) is Status.SENDING
    assert len(world.provider.received) == 250 - len(lost[0]["keys"])

    world.queues.pending.append((PlanJob("staffs", alert.id, reconcile=True).message(), 0, "targeting"))
    world.run()
    assert world.alerts.status("staffs", alert.id) is Status.SENT
    assert len(world.provider.received) == 250 and set(world.provider.received.values()) == {1}
    progress = Progress.from_item(world.ledger.targeting(alert.id))
    assert progress.released == {"email": 250}  # the sweep counted nothing twice


def test_an_email_alert_reaches_its_first_resident_three_hops_after_the_send_before_targeting_ends() -> None:
    """No SMS or voice: no audience could need a supervisor, so each shard piece queues its own recipients."""
    world = World(max_locations_per_piece=40)
    town(world, 200)
    alert = world.alert()
    world.send(alert)
    while not world.provider.calls:
        world.run(max_messages=1)
    assert world.first_provider_hops == 3  # plan, shard, delivery
    # Later pieces of the shard are still waiting on the targeting queue when the first email goes.
    assert any(queue == "targeting" for _, _, queue in world.queues.pending)
    world.run()
    assert len(world.provider.received) == 200 and set(world.provider.received.values()) == {1}
    assert world.alerts.status("staffs", alert.id) is Status.SENT
    assert "release" in [action for _, action, _ in world.alerts.actions]


def test_an_sms_alert_by_an_officer_waits_for_the_whole_audience_before_anyone_hears() -> None:
    world = World(max_locations_per_piece=40)
    town(world, 100, ("sms",))
    alert = world.alert(channels=("sms",))
    world.send(alert)
    while any(queue == "targeting" for _, _, queue in world.queues.pending) and world.queues.pending[0][2] == \
            "targeting":
        world.run(max_messages=1)
        assert world.provider.calls == 0  # nobody hears before the cost is known for the whole audience
    world.run()
    assert len(world.provider.received) == 100


def test_the_shards_read_the_geometry_the_plan_froze_even_if_the_area_changes_meanwhile() -> None:
    world = World()
    town(world, 50)
    alert = world.alert(radius_m=1000)
    world.send(alert)
    world.run(max_messages=1)  # the plan: it covers and freezes the 1 km circle
    world.pipeline.planner._resolver = None
    tiny = {"type": "circle", "center": {"lat": 0.0, "lng": 0.0}, "radius_m": 1}
    world.alerts.add(replace(world.alerts.get("staffs", alert.id)[0], target=tiny))  # as if the area were edited
    world.run()
    assert len(world.provider.received) == 50


def test_a_frozen_target_reads_back_exactly() -> None:
    circle = Circle(52.8, -2.1, 1234.5)
    area = Area.from_geojson({"type": "Polygon", "coordinates": [[[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9],
                                                                  [-2.2, 52.7]]]})
    assert from_bytes(to_bytes(circle)) == circle
    assert from_bytes(to_bytes(area)).polygons == area.polygons


def test_a_resident_erased_between_claim_and_record_leaves_every_co_batched_recipient_sent() -> None:
    world = World()
    ids = town(world, 30)
    alert = world.alert()
    world.send(alert)
    world.run_targeting()
    erased = next(key for key in world.ledger.items[alert.id] if key.endswith(ids[7]))

    def erase_once() -> None:
        world.provider.during_call = None
        world.ledger.erase(alert.id, erased)  # claimed by the worker, which is calling the provider right now

    world.provider.during_call = erase_once
    world.run()
    states = world.ledger.states(alert.id)
    assert states == {"sent": 29, "erased": 1}
    assert world.ledger.tally(alert.id)["email_erased"] == 1
    assert world.alerts.status("staffs", alert.id) is Status.SENT


def test_a_shard_piece_that_dies_before_counting_is_retried_whole_and_never_overlaps_its_successor() -> None:
    world = World()
    town(world, 400)
    alert = world.alert(radius_m=2000)
    world.send(alert)
    world.run(max_messages=1)  # the plan: one shard
    piece, _, _ = world.queues.pending.popleft()
    # First try: short of time it stops after 100 locations, queues their deliveries, and dies before counting. Had it
    # queued its continuation first, the retry (with time to read the whole shard) and that continuation would both
    # count the locations after the 100th.
    world.ledger.die_before_counting = 1
    with pytest.raises(WorkerDied):
        world.pipeline.target(piece, remaining_ms=lambda: 0)
    assert not any(message.get("type") == "shard" for message, _, _ in world.queues.pending)
    world.queues.pending.append((piece, 0, "targeting"))  # SQS delivers it again
    world.run()
    progress = Progress.from_item(world.ledger.targeting(alert.id))
    assert progress.audience == {"email": 400} and progress.released == {"email": 400}
    assert set(world.provider.received.values()) == {1} and len(world.provider.received) == 400
    assert world.alerts.status("staffs", alert.id) is Status.SENT


def test_a_shard_piece_redelivered_after_counting_queues_the_same_continuation_and_counts_nothing_twice() -> None:
    world = World(max_locations_per_piece=50)
    town(world, 300)
    alert = world.alert(radius_m=2000)
    world.send(alert)
    world.run(max_messages=1)
    piece = world.queues.pending[0][0]
    world.run(max_messages=1)
    continuation = next(m for m, _, _ in world.queues.pending if m.get("type") == "shard")
    # SQS delivers the counted piece again (its worker died before deleting the message).
    assert world.pipeline.target(piece) == "skipped: piece done already"
    assert world.queues.pending[-1][0] == continuation  # queued again: the first might never have reached SQS
    world.run()
    progress = Progress.from_item(world.ledger.targeting(alert.id))
    assert progress.audience == {"email": 300} and progress.ends == {}
    assert world.alerts.status("staffs", alert.id) is Status.SENT
