"""A preview too big for its request, counted by the targeting worker in bounded pieces (services/pipeline/preview.py)
on in-memory fakes: what the officer polls is exact however the pieces fall, are redelivered or die."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.jobs import PreviewJob, targeting_job
from chalicelib.domain.previews import PreviewState

from .pipeline_fakes import NOW, WorkerDied, World
from .test_pipeline_with_fakes import offset, town


def counted(world: World, preview_id: str) -> PreviewState:
    state = world.previews.get(preview_id)
    assert state is not None
    return state


def test_a_preview_counted_in_many_pieces_matches_the_one_read_count() -> None:
    whole, pieces = World(), World(preview_locations_per_piece=40)
    for world in (whole, pieces):
        town(world, 400, ("email", "sms"))
        # Three places, which the small pieces read apart: counted once all the same.
        world.resident(*offset(-140, -145), ("email",), number=5000, elsewhere=[offset(0, 0), offset(100, -100)])
    results = []
    for world in (whole, pieces):
        preview_id = world.preview(radius_m=2000, channels=("email", "sms"))
        world.run()
        results.append(world.previews.result(preview_id))
    assert results[0] == results[1]
    assert results[1] is not None and results[1]["residents"] == 401
    assert results[1]["by_channel"] == {"email": 401, "sms": 400}
    piece_messages = [cost for cost in pieces.costs if cost.kind == "preview"]
    assert len(piece_messages) > 401 // 40  # it did continue, piece after piece
    # No message's work grows with the audience: each reads at most the cap, one Query per range of its shard.
    assert max(cost.calls for cost in pieces.costs) <= 48 + 10


def test_an_officer_polling_sees_the_pieces_counted_and_then_the_result() -> None:
    world = World(preview_locations_per_piece=50)
    town(world, 300)
    preview_id = world.preview(radius_m=2000)
    world.run(max_messages=3)  # the plan and the first pieces
    state = counted(world, preview_id)
    assert state.status == "counting" and len(state.done_pieces) == 2 and state.pieces_open == 1
    world.run()
    state = counted(world, preview_id)
    assert state.status == "done" and state.pieces_open == 0 and state.ends == {}  # nothing left behind
    assert world.previews.result(preview_id)["residents"] == 300  # type: ignore[index]


def test_a_piece_redelivered_after_it_counted_queues_its_continuation_again_and_adds_nothing() -> None:
    world = World(preview_locations_per_piece=50)
    town(world, 300)
    preview_id = world.preview(radius_m=2000)
    world.run(max_messages=1)  # the plan: one shard
    first_piece = world.queues.pending[0][0]
    world.run(max_messages=1)
    continuation = world.queues.pending[0][0]
    # The piece's message comes back (its worker died after counting, before SQS heard it was done): SQS delivers it
    # again. It must queue the same continuation, since it cannot know the first one reached the queue.
    world.queues.pending.clear()
    world.queues.pending.append((first_piece, 0, "targeting"))
    world.run(max_messages=1)
    assert world.queues.pending[0][0] == continuation
    world.run()
    assert world.previews.result(preview_id)["residents"] == 300  # type: ignore[index]


def test_a_piece_that_dies_before_counting_is_retried_whole_and_never_overlaps_its_successor() -> None:
    world = World(preview_locations_per_piece=10_000)
    town(world, 400)
    preview_id = world.preview(radius_m=2000)
    world.run(max_messages=1)
    piece, _, _ = world.queues.pending.popleft()
    # First try: short of time, it stops after 100 locations; then dies before its counting update.
    world.previews.die_before_counting = 1
    with pytest.raises(WorkerDied):
        world.pipeline.target(piece, remaining_ms=lambda: 0)
    assert len(world.queues.pending) == 0  # nothing was queued on the strength of an uncounted piece
    # The retry has time, reads the whole shard, and the count is exact.
    world.pipeline.target(piece)
    world.run()
    assert world.previews.result(preview_id)["residents"] == 400  # type: ignore[index]


def test_a_redelivered_first_job_queues_only_the_shards_that_never_counted() -> None:
    world = World(preview_locations_per_piece=50)
    town(world, 300)
    preview_id = world.preview(radius_m=2000)
    world.run(max_messages=2)  # planned, and shard 0's first piece counted
    world.queues.pending.append((PreviewJob(preview_id).message(), 0, "targeting"))
    world.run()
    assert world.previews.result(preview_id)["residents"] == 300  # type: ignore[index]
    assert counted(world, preview_id).pieces_open == 0


def test_an_expired_or_finished_preview_is_skipped() -> None:
    world = World()
    town(world, 20)
    preview_id = world.preview()
    world.run()
    assert world.pipeline.target(PreviewJob(preview_id).message()) == "skipped: counted already"
    del world.previews.items[preview_id]  # the table's TTL removed it
    assert world.pipeline.target(PreviewJob(preview_id, 0, 1, ()).message()) == "skipped: preview expired"


def test_preview_jobs_read_back_the_messages_they_write() -> None:
    jobs = [PreviewJob("P1"), PreviewJob("P1", 3, 2, ())]
    assert [targeting_job(job.message()) for job in jobs] == jobs
    assert PreviewJob("P1", 3, 2, ()).previous == "3.1" and PreviewJob("P1", 3, 0, ()).previous is None
    for bad in ({"type": "preview", "preview_id": "P1", "shard": "x", "piece": 0, "ranges": []},
                {"type": "preview", "preview_id": "P1", "shard": 0, "piece": -1, "ranges": []},
                {"type": "preview", "preview_id": "P1", "shard": 0, "piece": 0}):
        with pytest.raises(ValueError):
            targeting_job(bad)


def test_an_alert_expiring_while_its_big_preview_is_counted_still_gets_its_count() -> None:
    world = World(preview_locations_per_piece=50)
    town(world, 100)
    asked_at = NOW - 3600  # an hour ago, for an alert that expired ten minutes after: valid when asked
    preview_id = world.preview(expires_at=iso(asked_at + 600))
    world.previews.items[preview_id]["created_at"] = iso(asked_at)
    world.run()
    assert world.previews.result(preview_id)["residents"] == 100  # type: ignore[index]


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
