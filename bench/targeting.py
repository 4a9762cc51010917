"""Targeting benchmark: how exactly and how cheaply the H3 range queries find everyone in an area.

    .venv/bin/python -m bench.targeting [--residents 200000] [--store memory|emulator] [--write-docs]

Builds a synthetic population around Staffordshire towns, then for 50 m, 200 m, 1 km, 3 km and 20 km circles, a town
polygon and the whole force measures, for Hexwatch's cover and for two baselines run in the same process on the same
items:
- scan: a full table Scan with the exact test (what a table without a geographic key must do);
- fixed cells: one Query per resolution-8 cell whose centre is inside the area, no exact test (the naive H3 use).
Columns: recall (share of the true residents returned), overshoot (furthest returned resident outside the area, in
metres), read amplification (items read / residents in the area), queries, cover time and total time.

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

import h3  # noqa: E402

from chalicelib.adapters.models import LocationModel, bind_tables  # noqa: E402
from chalicelib.adapters.residents_store import LocationIndex  # noqa: E402
from chalicelib.domain.coverage import Area, Circle, Target, circle_polygon, distance_m  # noqa: E402
from chalicelib.domain.geo import KeyRange, location_key, ranges_for_cell  # noqa: E402
from chalicelib.services.targeting import LocationFinder, TargetingStats  # noqa: E402
from infra.local import emulator, stack  # noqa: E402
from infra.local.demo import DEMO_BOUNDARY, DEMO_TOWNS, ring  # noqa: E402

DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench.targeting:begin -->", "<!-- bench.targeting:end -->"
STAFFORD = DEMO_TOWNS["Stafford"][:2]
BASELINE_RESOLUTION = 8  # about 0.74 km2 a cell: the fixed grid a naive design would pick for street to force
@dataclass
class Row:
    target: str
    method: str
    recall: float
    overshoot_m: float
    amplification: float
    queries: int
    cover_ms: float
    total_ms: float


def population(count: int, seed: int = 2026) -> list[tuple[str, float, float]]:
    """(id, lat, lng): 90 % around the towns (denser in the big ones), 10 % spread over the countryside."""
    rng = random.Random(seed)
    towns = list(DEMO_TOWNS.values())
    weights = [radius**2 for _, _, radius in towns]
    people = []
    for index in range(count):
        if rng.random() < 0.9:
            lat, lng, radius = rng.choices(towns, weights)[0]
            distance, bearing = abs(rng.gauss(0, radius * 600)), rng.uniform(0, 2 * math.pi)
        else:
            lat, lng = 52.80, -2.00
            distance, bearing = rng.uniform(0, 30_000), rng.uniform(0, 2 * math.pi)
        people.append((f"R{index:07d}", lat + distance * math.cos(bearing) / 111_320,
                       lng + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))))
    return people


@dataclass(frozen=True)
class StoredLocation:
    resident_id: str
    lat: float
    lng: float


class MemoryIndex:
    """Items sorted by (partition, sort key); a key range is answered by bisection, as DynamoDB answers BETWEEN."""

    def __init__(self, people: Iterable[tuple[str, float, float]]) -> None:
        partitions: dict[str, list[tuple[str, StoredLocation]]] = {}
        for resident_id, lat, lng in people:
            key = location_key(lat, lng)
            partitions.setdefault(key.partition, []).append(
                (key.sort_key(resident_id, "L1"), StoredLocation(resident_id, lat, lng)))
        self._keys = {p: [k for k, _ in sorted(items)] for p, items in partitions.items()}
        self._items = {p: [i for _, i in sorted(items, key=lambda pair: pair[0])] for p, items in partitions.items()}

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


def load(people: Iterable[tuple[str, float, float]]) -> None:
    with LocationModel.batch_write() as batch:
        for resident_id, lat, lng in people:
            key = location_key(lat, lng)
            batch.save(LocationModel(cell=key.partition, sk=key.sort_key(resident_id, "L1"), resident_id=resident_id,
                                     location_id="L1", lat=lat, lng=lng, precision="point", language="en",
                                     consent_version="bench"))


def outside_by(target: Target, lat: float, lng: float) -> float:
    """How far outside the target a point is (0 inside); for polygons, the distance to the nearest vertex, which
    is an upper bound good enough to show that a method overshoots."""
    if target.contains(lat, lng):
        return 0.0
    if isinstance(target, Circle):
        return distance_m(target.lat, target.lng, lat, lng) - target.radius_m
    return min(distance_m(lat, lng, p[1], p[0]) for rings in target.polygons for p in rings[0])


def scan_once(index: Any) -> tuple[list[tuple[str, float, float]], float]:
    started = time.perf_counter()
    items = [(item.resident_id, float(item.lat), float(item.lng)) for item in index.scan()]
    return items, time.perf_counter() - started


def measure(name: str, target: Target, truth: set[str], index: Any,
            scanned: tuple[list[tuple[str, float, float]], float]) -> list[Row]:
    rows = []
    # Hexwatch: cover, merged ranges, exact test.
    stats = TargetingStats()
    finder = LocationFinder(index)
    found = [(item.resident_id, float(item.lat), float(item.lng)) for item in finder.inside(target, stats)]
    rows.append(row(name, "hexwatch", target, truth, found, stats.items_read, stats.queries,
                    stats.cover_seconds, stats.total_seconds))
    # Baseline 1: a full scan with the exact test. Its cost does not depend on the target, so the table is scanned
    # once (see scan_once) and each target filters the same items.
    items, scan_seconds = scanned
    started = time.perf_counter()
    found = [(resident, lat, lng) for resident, lat, lng in items if target.contains(lat, lng)]
    scan_seconds += time.perf_counter() - started
    pages = max(1, math.ceil(len(items) * 160 / 1_000_000))  # ~160 bytes an item, 1 MB a page
    rows.append(row(name, "scan", target, truth, found, len(items), pages, 0.0, scan_seconds))
    # Baseline 2: one query per fixed-resolution cell with centre containment, no exact test.
    started = time.perf_counter()
    shape = circle_polygon(target) if isinstance(target, Circle) else h3.LatLngPoly(
        [(p[1], p[0]) for p in target.polygons[0][0]])
    cells = h3.h3shape_to_cells(shape, BASELINE_RESOLUTION)
    cover_seconds = time.perf_counter() - started
    read, found = 0, []
    for cell in cells:
        for key_range in ranges_for_cell(cell):
            for item in index.in_range(key_range):
                read += 1
                found.append((item.resident_id, float(item.lat), float(item.lng)))
    rows.append(row(name, f"fixed res-{BASELINE_RESOLUTION} cells", target, truth, found, read, len(cells),
                    cover_seconds, time.perf_counter() - started))
    return rows


def row(name: str, method: str, target: Target, truth: set[str], found: list[tuple[str, float, float]], read: int,
        queries: int, cover_seconds: float, total_seconds: float) -> Row:
    returned = {resident for resident, _, _ in found}
    recall = len(returned & truth) / len(truth) if truth else 1.0
    overshoot = max((outside_by(target, lat, lng) for _, lat, lng in found), default=0.0)
    return Row(name, method, recall, overshoot, read / max(1, len(truth)), queries, cover_seconds * 1000,
               total_seconds * 1000)


def targets() -> list[tuple[str, Target]]:
    lat, lng, radius = DEMO_TOWNS["Stafford"]
    return [
        *[(f"circle {label}", Circle(lat, lng, metres)) for label, metres in
          (("50 m", 50), ("200 m", 200), ("1 km", 1_000), ("3 km", 3_000), ("20 km", 20_000))],
        ("town polygon (Stafford)", Area((( ring(lat, lng, radius),),))),
        ("whole force", Area(((DEMO_BOUNDARY,),))),
    ]


def table(rows: list[Row], residents: int, store: str) -> str:
    lines = [f"Population: {residents:,} residents around Staffordshire towns; store: {store}.", "",
             "| target | method | recall | overshoot (m) | read amplification | queries | cover (ms) | total (ms) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.target} | {r.method} | {r.recall:.1%} | {r.overshoot_m:,.0f} | {r.amplification:,.2f} | "
                     f"{r.queries:,} | {r.cover_ms:,.1f} | {r.total_ms:,.0f} |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Performance\n"
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in current:
        current = current[:current.index(BEGIN)] + block + current[current.index(END) + len(END):]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    DOCS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--store", choices=["memory", "emulator"], default="memory")
    parser.add_argument("--write-docs", action="store_true", help="replace the figures in docs/performance.md")
    args = parser.parse_args()

    people = population(args.residents)
    started = time.perf_counter()
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
        load(people)
        index = EmulatorIndex()
    else:
        index = MemoryIndex(people)
    print(f"loaded {len(people):,} residents into {args.store} in {time.perf_counter() - started:.0f} s", flush=True)

    rows: list[Row] = []
    scanned = scan_once(index)
    print(f"full scan: {len(scanned[0]):,} items in {scanned[1]:.1f} s", flush=True)
    for name, target in targets():
        truth = {resident for resident, lat, lng in people if target.contains(lat, lng)}
        measured = measure(name, target, truth, index, scanned)
        rows.extend(measured)
        print(f"{name}: {len(truth):,} residents inside", flush=True)
    text = table(rows, args.residents, args.store)
    print(text)
    ours = [r for r in rows if r.method == "hexwatch"]
    scans = {r.target: r for r in rows if r.method == "scan"}
    print("\nRatios against the full scan, same process (scan / Hexwatch):")
    for r in ours:
        print(f"  {r.target}: time {scans[r.target].total_ms / max(r.total_ms, 0.001):,.1f}, "
              f"items read {scans[r.target].amplification / max(r.amplification, 0.001):,.1f}")
    if args.write_docs:
        write_docs(text + f"\n\nReproduce: `.venv/bin/python -m bench.targeting --residents {args.residents} "
                   f"--store {args.store} --write-docs` (2 cores). Queries and items read are what DynamoDB would "
                   "do; times are this machine's Python, not DynamoDB latency.")
    if emu is not None:
        emu.stop()


if __name__ == "__main__":
    main()
