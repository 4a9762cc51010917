"""Finds the residents' locations inside a target: H3 cover → merged key ranges → one Query each → exact test.

The preference filters (category, groups, channel, suppression) and the delivery ledger build on this in the
targeting worker; what is here is the geometry, measured by bench/targeting.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..adapters.models import LocationModel
from ..adapters.residents_store import LocationIndex
from ..domain.coverage import Cover, Target, cover


@dataclass
class TargetingStats:
    resolution: int = 0
    cells: int = 0
    queries: int = 0
    items_read: int = 0
    items_matched: int = 0
    cover_seconds: float = 0.0
    total_seconds: float = 0.0
    partitions: set[str] = field(default_factory=set)


class LocationFinder:
    def __init__(self, index: LocationIndex | None = None) -> None:
        self._index = index or LocationIndex()

    def inside(self, target: Target, stats: TargetingStats | None = None) -> Iterator[LocationModel]:
        """Every stored location inside the target, each once; `stats` is filled in as the reading goes."""
        stats = stats if stats is not None else TargetingStats()
        started = time.perf_counter()
        planned: Cover = cover(target)
        stats.cover_seconds = time.perf_counter() - started
        stats.resolution, stats.cells = planned.resolution, len(planned.cells)
        stats.partitions = {r.partition for r in planned.ranges}
        for key_range in planned.ranges:
            stats.queries += 1
            for item in self._index.in_range(key_range):
                stats.items_read += 1
                if target.contains(float(item.lat), float(item.lng)):
                    stats.items_matched += 1
                    yield item
        stats.total_seconds = time.perf_counter() - started
