"""The key ranges that read a cover for the fewest DynamoDB read units. Pure: no AWS here.

The cost model. DynamoDB bills a Query on the bytes it reads, rounded up to 4 KB, with a minimum of one read unit
(figures here are in strongly consistent units; the eventually consistent Queries the targeting reads make cost half
of every figure, so the choices are the same). A Query's bytes are the items between its two sort keys, inside the
target or not. So one range per compacted cell, as merging only touching ranges gives, pays the one-unit minimum
many times where few items lie (a 50 m circle: about 100 Queries); one range over everything wastes bytes where many
lie. Between the two, a gap between two ranges of a partition is worth reading when its bytes cost less than the
extra Query they save.

The cover cannot see density without reading, so it assumes a dense one: ASSUMED_LOCATIONS_PER_KM2 items of
ASSUMED_ITEM_BYTES each, spread evenly. Assuming dense is the safe side: where fewer live, each extra Query wastes at
most the one-unit minimum, and QUERY_BUDGET trades a little estimated reading for fewer of them; assuming sparse
where many live would read whole neighbourhoods outside the target. Measured on a 50 m circle, the ranges chosen at
this density cost within 10 % of the cheapest chosen knowing every item at 10,000 and 40,000 a km2, and 1.4 times it
at 2,000 (tests/unit/test_coverage.py, bench/targeting.py).

The bytes of a range are estimated from its length in resolution-15 cells (each about 0.9 m2), which h3's child
positions give exactly: the positions of a partition's descendants run in the sort keys' order with no gaps
(domain/geo.py).

Choosing the ranges is a shortest path over each partition's ranges in key order: a Query reads ranges i..j and the
gaps between them, at max(1, bytes / 4 KB + 0.5) read units (the half unit is the rounding, on average) plus
`query_price`, the extra read units a Query is charged so that a small target with many small ranges can be brought
down to QUERY_BUDGET Queries: the price is raised (bisection) only while the estimate stays within MAX_EXTRA_READ of
the cheapest plan. The extra is an estimate at an even density, so it is only spent on small targets, whose gaps are
the streets around them; a large target's gaps are whole neighbourhoods, one of which may be the next town.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import h3

from .geo import PARTITION_RESOLUTION, POINT_RESOLUTION, RANGE_END, KeyRange

READ_UNIT_BYTES = 4_096
# A location item as residents_store writes it: two ULIDs in the sort key and again as attributes, the partition,
# lat/lng, precision, channels, categories, sometimes groups, language and consent version; bench/targeting.py
# measures 250-309 bytes, 278 on average, on its items.
ASSUMED_ITEM_BYTES = 280
# Inner-city flats at 100 homes a hectare with everyone subscribed: more than a real force's dense centre (the
# bench's synthetic town peaks at 45,000 within 50 m), so the cover errs towards an extra Query rather than towards
# reading a neighbourhood it does not need.
ASSUMED_LOCATIONS_PER_KM2 = 10_000
POINT_CELL_M2 = h3.average_hexagon_area(POINT_RESOLUTION, "m^2")
BYTES_PER_POINT_CELL = ASSUMED_ITEM_BYTES * ASSUMED_LOCATIONS_PER_KM2 / 1e6 * POINT_CELL_M2
# Queries a small target is brought down to when its estimate allows (coverage.py decides which targets are small;
# one Query a partition at least). A hedge against the assumed density: where few live, every Query costs its
# one-unit minimum whatever it reads, so fewer Queries is what saves read units there; and fewer round trips.
QUERY_BUDGET = 12
# How much more, as a share of the cheapest plan's estimated read units, fewer Queries may cost.
MAX_EXTRA_READ = 0.20
PRICE_STEPS = 12
# A Query never spans more ranges than this: longer chains only arise in sparse plans that one more Query costs
# little to split, and the bound keeps the search linear.
MAX_RANGES_PER_QUERY = 48


@dataclass(frozen=True)
class Span:
    """Resolution-15 positions first..last (inclusive) within a partition: exactly the sort keys of one range."""

    partition: str
    first: int
    last: int


@dataclass(frozen=True)
class Plan:
    spans: list[Span]  # one Query each
    read_units: float  # estimated, at the assumed density

    @property
    def queries(self) -> int:
        return len(self.spans)


def query_read_units(points: int) -> float:
    """A Query's estimated read units over `points` resolution-15 cells: the bytes in 4 KB, plus half a unit of
    rounding on average, at least one."""
    return max(1.0, points * BYTES_PER_POINT_CELL / READ_UNIT_BYTES + 0.5)


def spans_of(cells: Iterable[str]) -> list[Span]:
    """The sorted spans of the cells' resolution-15 descendants, split by partition, touching spans joined."""
    raw: list[Span] = []
    for cell in cells:
        resolution = h3.get_resolution(cell)
        pieces = h3.cell_to_children(cell, PARTITION_RESOLUTION) if resolution < PARTITION_RESOLUTION else [cell]
        for piece in pieces:
            partition = h3.cell_to_parent(piece, PARTITION_RESOLUTION) if resolution > PARTITION_RESOLUTION else piece
            first = h3.cell_to_child_pos(h3.cell_to_center_child(piece, POINT_RESOLUTION), PARTITION_RESOLUTION)
            raw.append(Span(partition, first, first + h3.cell_to_children_size(piece, POINT_RESOLUTION) - 1))
    joined: list[Span] = []
    for span in sorted(raw, key=lambda s: (s.partition, s.first)):
        if joined and joined[-1].partition == span.partition and span.first <= joined[-1].last + 1:
            joined[-1] = Span(span.partition, joined[-1].first, max(joined[-1].last, span.last))
        else:
            joined.append(span)
    return joined


def span_of(key_range: KeyRange) -> Span:
    position = h3.cell_to_child_pos
    return Span(key_range.partition, position(key_range.low, PARTITION_RESOLUTION),
                position(key_range.high.removesuffix(RANGE_END), PARTITION_RESOLUTION))


def key_range(span: Span) -> KeyRange:
    low = h3.child_pos_to_cell(span.partition, POINT_RESOLUTION, span.first)
    high = h3.child_pos_to_cell(span.partition, POINT_RESOLUTION, span.last)
    return KeyRange(span.partition, low, high + RANGE_END)


def estimated_read_units(ranges: Iterable[KeyRange]) -> float:
    """What Queries over these ranges cost at the assumed density (the model the cover chooses by)."""
    return sum(query_read_units(s.last - s.first + 1) for s in map(span_of, ranges))


def _cheapest_in_partition(spans: list[Span], query_price: float) -> tuple[float, list[Span]]:
    """Shortest path: best[j] is the cheapest way to read spans[:j]; the last Query reads spans[i:j]. (The cost is
    query_read_units written out: this loop is most of the cover's time.)"""
    units_per_point = BYTES_PER_POINT_CELL / READ_UNIT_BYTES
    firsts = [span.first for span in spans]
    # Past a gap this costly, splitting there is cheaper than any Query across it.
    splits = [i > 0 and (spans[i].first - spans[i - 1].last) * units_per_point > 1.5 + query_price
              for i in range(len(spans))]
    best = [0.0] * (len(spans) + 1)
    start = [0] * (len(spans) + 1)
    for j in range(1, len(spans) + 1):
        end = spans[j - 1].last + 1
        cheapest, cheapest_start = float("inf"), j - 1
        for i in range(j - 1, max(-1, j - 1 - MAX_RANGES_PER_QUERY), -1):
            cost = best[i] + max(1.0, (end - firsts[i]) * units_per_point + 0.5) + query_price
            if cost < cheapest:
                cheapest, cheapest_start = cost, i
            if splits[i]:
                break
        best[j], start[j] = cheapest, cheapest_start
    chosen, j = [], len(spans)
    while j:
        i = start[j]
        chosen.append(Span(spans[i].partition, spans[i].first, spans[j - 1].last))
        j = i
    return best[-1] - query_price * len(chosen), chosen[::-1]


def plan(spans: list[Span], query_price: float = 0.0) -> Plan:
    by_partition: dict[str, list[Span]] = {}
    for span in spans:
        by_partition.setdefault(span.partition, []).append(span)
    total, chosen = 0.0, []
    for partition in sorted(by_partition):
        cost, queries = _cheapest_in_partition(by_partition[partition], query_price)
        total += cost
        chosen.extend(queries)
    return Plan(chosen, total)


def cheapest_plan(spans: list[Span], query_budget: int | None = None) -> Plan:
    """The plan with the fewest estimated read units; if it needs more than `query_budget` Queries (or one per
    partition, when that is more), the plan with the smallest query price that meets the budget within
    MAX_EXTRA_READ more read units, or failing that the one with the fewest Queries within it."""
    cheapest = plan(spans)
    if query_budget is None:
        return cheapest
    budget = max(query_budget, len({s.partition for s in spans}))
    if cheapest.queries <= budget:
        return cheapest
    allowance = cheapest.read_units * (1 + MAX_EXTRA_READ)
    tried, low, high = [cheapest], 0.0, cheapest.read_units
    for _ in range(PRICE_STEPS):
        price = (low + high) / 2
        candidate = plan(spans, price)
        if candidate.read_units > allowance:
            high = price
            continue
        tried.append(candidate)
        if candidate.queries <= budget:
            high = price
        else:
            low = price
    return min(tried, key=lambda p: (p.queries > budget, p.read_units if p.queries <= budget else p.queries,
                                     p.read_units))


def cheapest_ranges(cells: Iterable[str], query_budget: int | None = None) -> list[KeyRange]:
    """The key ranges, one Query each, that read every resolution-15 descendant of `cells` for the fewest
    estimated read units (within MAX_EXTRA_READ of it, to keep to `query_budget` Queries when one is given)."""
    return [key_range(span) for span in cheapest_plan(spans_of(cells), query_budget).spans]
