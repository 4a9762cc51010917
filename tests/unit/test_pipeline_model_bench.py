"""bench/pipeline_model.py on a small town: its counts come from the real stages, and its goals hold. The model's
times are arithmetic on counted requests (no clock of this machine), so they can be asserted."""

from __future__ import annotations

from bench import pipeline_model
from infra import quotas


def test_the_first_resident_is_three_hops_away_and_everyone_is_handed_over_near_the_quota_bound() -> None:
    figures = pipeline_model.measure(1500)
    assert figures.deliveries == {"email": 1500, "sms": 150}
    assert figures.hops_to_first == 3
    assert figures.bound_s == 1500 / quotas.channel("email").account_per_second
    assert 1.0 <= figures.ratio <= 1.2
    # The first provider call waits for one shard piece, not for all of targeting.
    assert figures.first_ms < 5_000


def test_the_largest_message_does_not_grow_with_the_audience() -> None:
    small, large = pipeline_model.measure(3000), pipeline_model.measure(12000)
    assert large.largest_calls <= small.largest_calls + 10
    # And the whole alert's requests grow with the audience, not faster.
    assert large.requests_per_thousand <= small.requests_per_thousand * 1.1
