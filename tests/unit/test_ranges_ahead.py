"""A piece reads its independent key ranges with several Queries in flight (services/pipeline/shard.py), and what it
reads, and where it stops, is exactly what reading them one after another gives."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from chalicelib.domain.geo import KeyRange
from chalicelib.services.pipeline.shard import read_bounded

RANGES = [KeyRange(f"p{n}", "a", "z") for n in range(8)]


class SlowIndex:
    """Ten locations a range; each Query takes 30 ms, as a round trip to DynamoDB might."""

    def __init__(self) -> None:
        self.in_flight = self.most_in_flight = 0
        self.queries: list[str] = []
        self._lock = threading.Lock()

    def in_range(self, key_range: KeyRange) -> Iterator[SimpleNamespace]:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.queries.append(key_range.partition)
        time.sleep(0.03)
        with self._lock:
            self.in_flight -= 1
        for n in range(10):
            yield SimpleNamespace(sk=f"{key_range.partition}-{n:02d}", lat=52.8, lng=-2.1,
                                  attribute_values={"id": f"{key_range.partition}-{n:02d}"})


def read(concurrency: int, most: int) -> tuple[list[str], list[KeyRange], SlowIndex]:
    index, added = SlowIndex(), []
    rest = read_bounded(index, RANGES, lambda lat, lng: True, lambda item: added.append(item["id"]), most,
                        lambda: False, concurrency)
    return added, rest, index


@pytest.mark.parametrize("most", [1_000, 35, 10, 1])
def test_reading_ahead_gives_what_reading_in_turn_gives_and_stops_at_the_same_place(most: int) -> None:
    assert read(4, most)[:2] == read(1, most)[:2]


def test_several_queries_are_in_flight_at_once() -> None:
    # No time is asserted (these machines are noisy): that Queries overlap is what makes a piece's wait shorter.
    added, rest, index = read(4, 1_000)
    assert len(added) == 80 and rest == []
    assert index.most_in_flight >= 2
    assert read(1, 1_000)[2].most_in_flight == 1


def test_a_piece_that_stops_early_reads_at_most_the_ranges_in_flight_beyond_it() -> None:
    added, rest, index = read(4, 15)  # stops in the second range
    assert len(added) == 15 and rest[0].partition == "p1"
    assert len(index.queries) <= 2 + 4  # the two it read, and at most four read ahead
