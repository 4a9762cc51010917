"""Targeting benchmark: how exactly and how cheaply the H3 range queries find everyone in an area.

    .venv/bin/python -m bench.targeting [--residents 200000] [--store memory|emulator] [--write-docs]

Builds a synthetic population around Staffordshire towns, each location an item with the attributes residents_store
writes, then for 50 m, 200 m, 1 km, 3 km and 20 km circles on Stafford's centre (the densest place in the bench), a
town polygon, the whole force, and 50 m, 1 km and 3 km circles in the countryside (about 7 residents a km2) measures,
for Hexwatch's cover and for three baselines run in the same process on the same items:
- legacy cover: the cover before read units were counted (the same cells, one range per compacted cell, only touching
  ranges merged), kept here as `legacy_cover`;
- scan: a full table Scan with the exact test (what a table without a geographic key must do);
- fixed cells: one Query per resolution-8 cell whose centre is inside the area, no exact test (the naive H3 use).
Columns: recall (share of the true residents returned), overshoot (furthest returned resident outside the area, in
metres), read amplification (items read / residents in the area), queries, read units, the minimum read units, cover
time and total time.

Read units are DynamoDB's, from each item's size by DynamoDB's rules (item_bytes): a Query (each 1 MB page of it)
costs its bytes rounded up to 4 KB, at least one unit, in strongly consistent units (the eventually consistent reads
the targeting makes cost half of every figure). The minimum is what reading exactly the residents inside would cost:
for each partition holding any, their bytes rounded up to 4 KB. "With hindsight" is the fewest read units any set of
ranges over Hexwatch's cells could cost, chosen knowing where every item is: what the key layout allows.

Stores: `memory` (the default) keeps the items sorted by (partition, sort key) and answers each key range by
bisection, which is exactly what a DynamoDB Query with `BETWEEN` returns, so items read and queries are DynamoDB's
own; `emulator` writes them to the embedded emulator and queries it through PynamoDB. moto 5.2.5 walks and sorts the
whole table for every Query, so emulator times grow with the table and say nothing about DynamoDB: use it with a few
thousand residents, to check that both stores return the same residents.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import sys
import time
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate, groupby
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

import h3  # noqa: E402

from bench.docs_section import write_section  # noqa: E402
from chalicelib.adapters.models import LocationModel, bind_tables  # noqa: E402
from chalicelib.adapters.residents_store import LocationIndex  # noqa: E402
from chalicelib.domain.coverage import (  # noqa: E402
    Area,
    Circle,
    Cover,
    Target,
    circle_polygon,
    cover,
    cover_cost,
    distance_m,
    merge_ranges,
)
from chalicelib.domain.geo import KeyRange, location_key, ranges_for_cell  # noqa: E402
from chalicelib.domain.read_units import (  # noqa: E402
    ASSUMED_ITEM_BYTES,
    ASSUMED_LOCATIONS_PER_KM2,
    Span,
    spans_of,
)
from chalicelib.domain.read_units import key_range as range_of_span  # noqa: E402
from chalicelib.services.targeting import LocationFinder, TargetingStats  # noqa: E402
from infra.local import emulator, stack  # noqa: E402
from infra.local.demo import (  # noqa: E402
    CATEGORY_MIXES,
    CHANNEL_MIXES,
    DEMO_BOUNDARY,
    DEMO_TOWNS,
    GROUP_MIXES,
    LANGUAGES,
    ring,
)

STAFFORD = DEMO_TOWNS["Stafford"][:2]
COUNTRYSIDE = (52.80, -2.00)  # population()'s centre for the residents spread over the countryside
# 15 km north of it, 14 km or more from every town: about 7 residents a km2 (the spread thins as 1 / distance).
SPARSE = (52.935, -2.00)
BASELINE_RESOLUTION = 8  # about 0.74 km2 a cell: the fixed grid a naive design would pick for street to force
READ_UNIT_BYTES = 4_096
PAGE_BYTES = 1_048_576  # a Query or Scan returns at most 1 MB a call, and each call is billed and rounded on its own
CONSENT_VERSION = "2026-11"  # config.DEFAULT_PRIVACY_NOTICE_VERSION's shape
# The goals: read units at most 1.25 times the minimum plus one Query's worth; at most 20 Queries for circles
# up to 3 km.
GOAL_READ_FACTOR, GOAL_READ_SLACK = 1.25, 1
GOAL_QUERIES, GOAL_QUERIES_UP_TO_M = 20, 3_000


@dataclass
class Row:
    target: str
    method: str
    recall: float
    overshoot_m: float
    amplification: float
    queries: int
    read_units: int
    cover_ms: float
    total_ms: float


def population(count: int, seed: int = 2026) -> list[tuple[str, float, float]]:
    """(id, lat, lng): 90 % around the towns (denser in the big ones), 10 % spread over the countryside. Ids are
    26 characters, as ULIDs are; positions are rounded to 6 decimals, as residents' locations are."""
    rng = random.Random(seed)
    towns = list(DEMO_TOWNS.values())
    weights = [radius**2 for _, _, radius in towns]
    people = []
    for index in range(count):
        if rng.random() < 0.9:
            lat, lng, radius = rng.choices(towns, weights)[0]
            distance, bearing = abs(rng.gauss(0, radius * 600)), rng.uniform(0, 2 * math.pi)
        else:
            lat, lng = COUNTRYSIDE
            distance, bearing = rng.uniform(0, 30_000), rng.uniform(0, 2 * math.pi)
        people.append((f"01BENCHR{index:018d}",
                       round(lat + distance * math.cos(bearing) / 111_320, 6),
                       round(lng + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat))), 6)))
    return people


def location_item(resident_id: str, lat: float, lng: float) -> dict[str, Any]:
    """The attributes residents_store writes for a location (LocationModel), with the demo's mixes of channels,
    categories, groups and languages; attributes that would be empty sets are left out, as DynamoDB requires."""
    rng = random.Random(resident_id)
    key = location_key(lat, lng)
    location_id = "01BENCHL" + resident_id[8:]
    categories = CATEGORY_MIXES[rng.randrange(len(CATEGORY_MIXES))]
    item: dict[str, Any] = {
        "cell": key.partition, "sk": key.sort_key(resident_id, location_id), "resident_id": resident_id,
        "location_id": location_id, "lat": lat, "lng": lng, "precision": "point",
        "channels": set(CHANNEL_MIXES[rng.randrange(len(CHANNEL_MIXES))]), "categories": set(categories),
        "groups": set(GROUP_MIXES[rng.randrange(len(GROUP_MIXES))]),
        "business_sectors": {"retail"} if "business" in categories else set(),
        "language": LANGUAGES[rng.randrange(len(LANGUAGES))], "consent_version": CONSENT_VERSION,
    }
    return {name: value for name, value in item.items() if value != set()}


def number_bytes(value: float) -> int:
    """DynamoDB: a number takes one byte per two significant digits (leading and trailing zeroes trimmed), plus one."""
    digits = Decimal(repr(value)).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def value_bytes(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, int | float | Decimal):
        return number_bytes(float(value))
    if isinstance(value, set | frozenset):  # a set is the sum of its elements
        return sum(value_bytes(element) for element in value)
    raise TypeError(f"no size rule for {type(value).__name__}")


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills it: each attribute's name (UTF-8) and value."""
    return sum(len(name.encode("utf-8")) + value_bytes(value) for name, value in item.items())


def read_units(page_bytes: int) -> int:
    """One Query or Scan call: its bytes rounded up to 4 KB, at least one read unit."""
    return max(1, math.ceil(page_bytes / READ_UNIT_BYTES))


def paged_read_units(sizes: Iterable[int]) -> int:
    """A read of these items, in the order read, split into 1 MB calls."""
    units, page = 0, 0
    for size in sizes:
        if page and page + size > PAGE_BYTES:
            units, page = units + read_units(page), 0
        page += size
    return units + read_units(page)


@dataclass(frozen=True)
class StoredLocation:
    resident_id: str
    lat: float
    lng: float
    size: int  # bytes, by DynamoDB's rules


class MemoryIndex:
    """Items sorted by (partition, sort key); a key range is answered by bisection, as DynamoDB answers BETWEEN."""

    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        partitions: dict[str, list[tuple[str, StoredLocation]]] = {}
        for item in items:
            partitions.setdefault(item["cell"], []).append(
                (item["sk"], StoredLocation(item["resident_id"], item["lat"], item["lng"], item_bytes(item))))
        for stored in partitions.values():
            stored.sort(key=lambda pair: pair[0])
        self._keys = {p: [k for k, _ in stored] for p, stored in partitions.items()}
        self._items = {p: [i for _, i in stored] for p, stored in partitions.items()}
        self._bytes_before = {p: list(accumulate((i.size for _, i in stored), initial=0))
                              for p, stored in partitions.items()}

    def bytes_in(self, key_range: KeyRange) -> int:
        keys = self._keys.get(key_range.partition, [])
        start, stop = bisect_left(keys, key_range.low), bisect_right(keys, key_range.high)
        return self._bytes_before[key_range.partition][stop] - self._bytes_before[key_range.partition][start] \
            if keys else 0

    def in_range(self, key_range: KeyRange) -> Iterator[StoredLocation]:
        keys = self._keys.get(key_range.partition, [])
        start, stop = bisect_left(keys, key_range.low), bisect_right(keys, key_range.high)
        yield from self._items.get(key_range.partition, [])[start:stop]

    def scan(self) -> Iterator[StoredLocation]:
        for items in self._items.values():
            yield from items


class EmulatorIndex(LocationIndex):
    def scan(self) -> Iterator[LocationModel]:
        yield from LocationModel.scan()


def size_of(item: Any) -> int:
    return item.size if isinstance(item, StoredLocation) else item_bytes(item.attribute_values)


class MeteredIndex:
    """Wraps an index and counts what each Query would be billed, 1 MB page by page."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self.queries = 0
        self.read_units = 0

    def in_range(self, key_range: KeyRange) -> Iterator[Any]:
        self.queries += 1
        sizes: list[int] = []
        for item in self._index.in_range(key_range):
            sizes.append(size_of(item))
            yield item
        self.read_units += paged_read_units(sizes)


def load(items: Iterable[dict[str, Any]]) -> None:
    with LocationModel.batch_write() as batch:
        for item in items:
            batch.save(LocationModel(**item))


def legacy_cover(target: Target) -> Cover:
    """The cover before read units were counted, kept as the baseline: the same compacted cells, one key range per
    cell (per partition for cells coarser than one), and only ranges that touch merged."""
    resolution = cover_cost(target).resolution
    shape = circle_polygon(target) if isinstance(target, Circle) else h3.LatLngMultiPoly(
        *[h3.LatLngPoly([(p[1], p[0]) for p in rings[0]], *[[(p[1], p[0]) for p in hole] for hole in rings[1:]])
          for rings in target.polygons])
    cells = h3.compact_cells(set(h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap")))
    return Cover(resolution, sorted(cells), merge_ranges(r for cell in cells for r in ranges_for_cell(cell)))


def outside_by(target: Target, lat: float, lng: float) -> float:
    """How far outside the target a point is (0 inside); for polygons, the distance to the nearest vertex, which
    is an upper bound good enough to show that a method overshoots."""
    if target.contains(lat, lng):
        return 0.0
    if isinstance(target, Circle):
        return distance_m(target.lat, target.lng, lat, lng) - target.radius_m
    return min(distance_m(lat, lng, p[1], p[0]) for rings in target.polygons for p in rings[0])


Scanned = tuple[list[tuple[str, float, float]], int, float]  # (id, lat, lng) of every item, read units, seconds


def scan_once(index: Any) -> Scanned:
    started = time.perf_counter()
    items, sizes = [], []
    for item in index.scan():
        items.append((item.resident_id, float(item.lat), float(item.lng)))
        sizes.append(size_of(item))
    return items, paged_read_units(sizes), time.perf_counter() - started


def measure(name: str, target: Target, truth: set[str], index: Any, scanned: Scanned) -> list[Row]:
    rows = []
    # Hexwatch: the service's own path (cover, key ranges, one Query each, exact test), metered.
    stats, metered = TargetingStats(), MeteredIndex(index)
    found = [(item.resident_id, float(item.lat), float(item.lng))
             for item in LocationFinder(metered).inside(target, stats)]  # type: ignore[arg-type]
    rows.append(row(name, "hexwatch", target, truth, found, stats.items_read, stats.queries, metered.read_units,
                    stats.cover_seconds, stats.total_seconds))
    # Baseline 1: the legacy cover, read the same way.
    started = time.perf_counter()
    legacy = legacy_cover(target)
    cover_seconds, metered, read, found = time.perf_counter() - started, MeteredIndex(index), 0, []
    for key_range in legacy.ranges:
        for item in metered.in_range(key_range):
            read += 1
            if target.contains(float(item.lat), float(item.lng)):
                found.append((item.resident_id, float(item.lat), float(item.lng)))
    rows.append(row(name, "legacy cover", target, truth, found, read, metered.queries, metered.read_units,
                    cover_seconds, time.perf_counter() - started))
    # Baseline 2: a full scan with the exact test. Its cost does not depend on the target, so the table is scanned
    # once (see scan_once) and each target filters the same items.
    items, scan_units, scan_seconds = scanned
    started = time.perf_counter()
    found = [(resident, lat, lng) for resident, lat, lng in items if target.contains(lat, lng)]
    scan_seconds += time.perf_counter() - started
    pages = math.ceil(scan_units * READ_UNIT_BYTES / PAGE_BYTES)
    rows.append(row(name, "scan", target, truth, found, len(items), pages, scan_units, 0.0, scan_seconds))
    # Baseline 3: one query per fixed-resolution cell with centre containment, no exact test.
    started = time.perf_counter()
    shape = circle_polygon(target) if isinstance(target, Circle) else h3.LatLngPoly(
        [(p[1], p[0]) for p in target.polygons[0][0]])
    cells = h3.h3shape_to_cells(shape, BASELINE_RESOLUTION)
    cover_seconds, metered, read, found = time.perf_counter() - started, MeteredIndex(index), 0, []
    for cell in cells:
        for key_range in ranges_for_cell(cell):
            for item in metered.in_range(key_range):
                read += 1
                found.append((item.resident_id, float(item.lat), float(item.lng)))
    rows.append(row(name, f"fixed res-{BASELINE_RESOLUTION} cells", target, truth, found, read, metered.queries,
                    metered.read_units, cover_seconds, time.perf_counter() - started))
    return rows


def row(name: str, method: str, target: Target, truth: set[str], found: list[tuple[str, float, float]], read: int,
        queries: int, units: int, cover_seconds: float, total_seconds: float) -> Row:
    returned = {resident for resident, _, _ in found}
    recall = len(returned & truth) / len(truth) if truth else 1.0
    overshoot = max((outside_by(target, lat, lng) for _, lat, lng in found), default=0.0)
    return Row(name, method, recall, overshoot, read / max(1, len(truth)), queries, units, cover_seconds * 1000,
               total_seconds * 1000)


def minimum_read_units(truth: set[str], stored: dict[str, tuple[str, int]]) -> int:
    """Reading exactly the residents inside: for each partition holding any, their bytes rounded up to 4 KB."""
    by_partition: dict[str, int] = {}
    for resident in truth:
        partition, size = stored[resident]
        by_partition[partition] = by_partition.get(partition, 0) + size
    return sum(read_units(size) for size in by_partition.values())


def cheapest_with_hindsight(target: Target, catalogue: MemoryIndex) -> int:
    """The fewest read units any set of ranges over the cover's cells costs, chosen knowing where every item is
    (one Query's bytes rounded up to 4 KB, its 1 MB pages' own rounding left out): the floor for a cover that reads
    contiguous stretches of sort keys, as against the minimum, which reads only the matched items."""
    def cost(first: Span, last: Span) -> int:
        return read_units(catalogue.bytes_in(range_of_span(Span(first.partition, first.first, last.last))))

    total = 0
    for _, group in groupby(spans_of(cover(target).cells), key=lambda span: span.partition):
        spans = list(group)
        best = [0] * (len(spans) + 1)  # best[j]: the cheapest reading of spans[:j]
        for j in range(1, len(spans) + 1):
            best[j] = min(best[i] + cost(spans[i], spans[j - 1]) for i in range(j))
        total += best[-1]
    return total


def targets() -> list[tuple[str, Target]]:
    lat, lng, radius = DEMO_TOWNS["Stafford"]
    return [
        *[(f"circle {label}", Circle(lat, lng, metres)) for label, metres in
          (("50 m", 50), ("200 m", 200), ("1 km", 1_000), ("3 km", 3_000), ("20 km", 20_000))],
        ("town polygon (Stafford)", Area((( ring(lat, lng, radius),),))),
        ("whole force", Area(((DEMO_BOUNDARY,),))),
        # Where few live (SPARSE).
        *[(f"circle {label}, countryside", Circle(*SPARSE, metres)) for label, metres in
          (("50 m", 50), ("1 km", 1_000), ("3 km", 3_000))],
    ]


@dataclass(frozen=True)
class Goals:
    target: str
    inside: int
    minimum: int
    hindsight: int
    ours: Row
    legacy: Row
    query_goal: bool  # a circle up to 3 km

    @property
    def read_bound(self) -> float:
        return GOAL_READ_FACTOR * self.minimum + GOAL_READ_SLACK

    def verdicts(self) -> dict[str, bool]:
        return {"read units": self.ours.read_units <= self.read_bound,
                "queries": not self.query_goal or self.ours.queries <= GOAL_QUERIES,
                "recall": self.ours.recall == 1.0, "overshoot": self.ours.overshoot_m == 0.0}


def table(rows: list[Row], residents: int, store: str, minimum: dict[str, int]) -> str:
    lines = [f"Population: {residents:,} residents around Staffordshire towns; store: {store}.", "",
             "| target | method | recall | overshoot (m) | read amplification | queries | read units | "
             "÷ minimum | cover (ms) | total (ms) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r.read_units / minimum[r.target]:,.2f}" if minimum[r.target] else "n/a"
        lines.append(f"| {r.target} | {r.method} | {r.recall:.1%} | {r.overshoot_m:,.0f} | {r.amplification:,.2f} | "
                     f"{r.queries:,} | {r.read_units:,} | {ratio} | {r.cover_ms:,.1f} | {r.total_ms:,.0f} |")
    return "\n".join(lines)


def goals_table(goals: list[Goals]) -> str:
    def verdict(met: bool, figure: str) -> str:
        return f"met ({figure})" if met else f"**not met** ({figure})"

    lines = ["| target | inside | minimum RU | with hindsight RU | legacy RU | Hexwatch RU | RU ≤ 1.25 x min + 1 | "
             f"legacy queries | Hexwatch queries | queries ≤ {GOAL_QUERIES} (circles to 3 km) | "
             "recall 100 %, overshoot 0 m |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for g in goals:
        met = g.verdicts()
        queries = verdict(met["queries"], f"{g.ours.queries}") if g.query_goal else f"no goal ({g.ours.queries})"
        exact = verdict(met["recall"] and met["overshoot"], f"{g.ours.recall:.1%}, {g.ours.overshoot_m:,.0f} m")
        units = verdict(met["read units"], f"{g.ours.read_units:,} vs {g.read_bound:,.1f}")
        lines.append(f"| {g.target} | {g.inside:,} | {g.minimum:,} | {g.hindsight:,} | {g.legacy.read_units:,} | "
                     f"{g.ours.read_units:,} | {units} | {g.legacy.queries:,} | {g.ours.queries:,} | {queries} | "
                     f"{exact} |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    write_section("bench.targeting", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--store", choices=["memory", "emulator"], default="memory")
    parser.add_argument("--write-docs", action="store_true", help="replace the figures in docs/performance.md")
    args = parser.parse_args()

    people = population(args.residents)
    started = time.perf_counter()
    items = [location_item(*person) for person in people]
    stored = {item["resident_id"]: (item["cell"], item_bytes(item)) for item in items}
    sizes = [size for _, size in stored.values()]
    emu = None
    index: Any
    if args.store == "emulator":
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's per-request lines
        warnings.filterwarnings("ignore", message="Tried to parse")  # types stack.deploy creates through the APIs
        emu = emulator.start_emulator(0)
        emulator.apply_aws_env(emu.endpoint)
        stack.deploy(emu.endpoint, "bench", "alerts@hexwatch.example")
        os.environ["HEXWATCH_PREFIX"] = "bench"
        bind_tables("bench", emulator.REGION)
        load(items)
        index = EmulatorIndex()
    catalogue = MemoryIndex(items)  # the bytes of any key range, for the cheapest ranges with hindsight
    if args.store == "memory":
        index = catalogue
    print(f"loaded {len(people):,} residents into {args.store} in {time.perf_counter() - started:.0f} s", flush=True)
    item_sizes = (f"Location items as measured (DynamoDB's size rules: attribute names and values): mean "
                  f"{sum(sizes) / len(sizes):,.0f} bytes, from {min(sizes)} to {max(sizes)}; the cover assumes "
                  f"{ASSUMED_ITEM_BYTES} bytes at {ASSUMED_LOCATIONS_PER_KM2:,} locations a km2.")
    print(item_sizes)

    rows: list[Row] = []
    goals: list[Goals] = []
    minimum: dict[str, int] = {}
    scanned = scan_once(index)
    print(f"full scan: {len(scanned[0]):,} items, {scanned[1]:,} read units, in {scanned[2]:.1f} s", flush=True)
    for name, target in targets():
        truth = {resident for resident, lat, lng in people if target.contains(lat, lng)}
        minimum[name] = minimum_read_units(truth, stored)
        measured = measure(name, target, truth, index, scanned)
        rows.extend(measured)
        goals.append(Goals(name, len(truth), minimum[name], cheapest_with_hindsight(target, catalogue), measured[0],
                           measured[1],
                           isinstance(target, Circle) and target.radius_m <= GOAL_QUERIES_UP_TO_M))
        print(f"{name}: {len(truth):,} residents inside", flush=True)
    text = table(rows, args.residents, args.store, minimum)
    goal_text = goals_table(goals)
    print(text + "\n\nGoals (read units, RU, in strongly consistent 4 KB units; eventually consistent halves them):\n"
          + goal_text + "\n\n" + item_sizes)
    ours = [r for r in rows if r.method == "hexwatch"]
    scans = {r.target: r for r in rows if r.method == "scan"}
    print("\nRatios against the full scan, same process (scan / Hexwatch):")
    for r in ours:
        print(f"  {r.target}: time {scans[r.target].total_ms / max(r.total_ms, 0.001):,.1f}, "
              f"read units {scans[r.target].read_units / max(r.read_units, 1):,.1f}")
    missed = [f"{g.target}: {goal}" for g in goals for goal, met in g.verdicts().items() if not met]
    print("\nAll goals met." if not missed else "\nGoals not met: " + "; ".join(missed))
    if args.write_docs:
        write_docs(text + "\n\nGoals (read units, RU, in strongly consistent 4 KB units: the eventually consistent "
                   "Queries the targeting makes cost half of every figure):\n\n" + goal_text + "\n\n" + item_sizes
                   + f"\n\nReproduce: `.venv/bin/python -m bench.targeting --residents {args.residents} "
                   f"--store {args.store} --write-docs` (2 cores). Queries, items read and read units are what "
                   "DynamoDB would do; times are this machine's Python, not DynamoDB latency.")
    if emu is not None:
        emu.stop()


if __name__ == "__main__":
    main()
