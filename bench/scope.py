"""Scope benchmark: what the exact reach check (issue 7) costs per request, against the vertex check it replaced.

    .venv/bin/python -m bench.scope [--boundary-vertices 50000] [--write-docs]

The reach check runs on every create, preview, send, approve, cancel and read. It is measured here for a whole-force
officer against a force boundary of realistic detail (the demo outline densified with a wiggle to N vertices, as an
ONS boundary simplified to about 10 m would be) and for an officer limited to three detailed town areas. Baseline, in
the same process on the same shapes: the old check (every vertex of the target, or a circle's centre, inside some
area by ray casting), which is cheaper and wrong (it lets bridging polygons and spilling circles through).

Also measured: the frozen scope stored with each alert (its size) and the worker's per-resident test against it
(points a second), with the circle's own exact test as the baseline.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

import shapely  # noqa: E402

from bench.docs_section import write_section  # noqa: E402
from chalicelib.domain.coverage import Area, Circle, Target, circle_polygon  # noqa: E402
from chalicelib.domain.projection import shape_of  # noqa: E402
from chalicelib.domain.scope import FrozenScope, freeze, target_within  # noqa: E402
from infra.local.demo import DEMO_BOUNDARY, DEMO_TOWNS  # noqa: E402


def densified(ring: list[list[float]], vertices: int, wiggle_degrees: float) -> list[list[float]]:
    """`ring` with about `vertices` vertices, each nudged sideways a little: the detail of a real boundary."""
    per_edge = max(1, vertices // (len(ring) - 1))
    points: list[list[float]] = []
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        length = math.hypot(x2 - x1, y2 - y1)
        nx, ny = -(y2 - y1) / length, (x2 - x1) / length
        for step in range(per_edge):
            t = step / per_edge
            nudge = wiggle_degrees * math.sin(step * 0.7) if step else 0.0
            points.append([x1 + (x2 - x1) * t + nx * nudge, y1 + (y2 - y1) * t + ny * nudge])
    return [*points, points[0]]


def town_area(name: str, vertices: int) -> dict[str, Any]:
    lat, lng, radius_km = DEMO_TOWNS[name]
    d_lat, d_lng = radius_km / 111.32, radius_km / (111.32 * math.cos(math.radians(lat)))
    ring = [[lng + d_lng * math.cos(2 * math.pi * k / vertices), lat + d_lat * math.sin(2 * math.pi * k / vertices)]
            for k in range(vertices)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_320, lng + east_m / (111_320 * math.cos(math.radians(lat)))


def drawn(lat: float, lng: float, radius_m: float, vertices: int) -> Area:
    ring = [[offset(lat, lng, radius_m * math.sin(a), radius_m * math.cos(a))[1],
             offset(lat, lng, radius_m * math.sin(a), radius_m * math.cos(a))[0]]
            for a in (2 * math.pi * k / vertices for k in range(vertices))]
    return Area.from_geojson({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})


def vertex_check(target: Target, areas: list[Area], centre_only: bool) -> bool:
    """The check before issue 7: a circle's centre (whole force) or every vertex (areas) inside some area."""
    if isinstance(target, Circle):
        points = [(target.lat, target.lng)] if centre_only else [(target.lat, target.lng),
                                                                 *circle_polygon(target).outer]
    else:
        points = [(p[1], p[0]) for rings in target.polygons for p in rings[0]]
    return all(any(area.contains(lat, lng) for area in areas) for lat, lng in points)


def best_ms(action: Callable[[], object], repeats: int = 5) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boundary-vertices", type=int, default=50_000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    boundary = {"type": "Polygon", "coordinates": [densified(DEMO_BOUNDARY, args.boundary_vertices, 0.0005)]}
    boundary_shape = shape_of(boundary)
    towns = [town_area(name, 5_000) for name in ("Stafford", "Cannock", "Lichfield")]
    towns_shape = shapely.union_all([shape_of(t) for t in towns])
    stafford, cannock = DEMO_TOWNS["Stafford"][:2], DEMO_TOWNS["Cannock"][:2]
    whole: list[tuple[str, Target]] = [
        ("1 km circle, town centre", Circle(*stafford, 1000)),
        ("20 km circle", Circle(52.75, -1.95, 20_000)),
        ("3 km circle over the border", Circle(52.80, -2.43, 3000)),
        ("1,000-vertex polygon (5 km)", drawn(*stafford, 5000, 1000)),
    ]
    limited: list[tuple[str, Target]] = [
        ("1 km circle in Stafford", Circle(*stafford, 1000)),
        ("bridging triangle Stafford-Cannock", Area.from_geojson({"type": "Polygon", "coordinates": [[
            [stafford[1], stafford[0]], [cannock[1] - 0.005, cannock[0]], [cannock[1] + 0.005, cannock[0]],
            [stafford[1], stafford[0]]]]})),
    ]
    rows = []
    for scope_name, permitted, areas, centre_only, cases in (
            (f"whole force ({args.boundary_vertices:,}-vertex boundary)", boundary_shape,
             [Area.from_geojson(boundary)], True, whole),
            ("three towns (5,000 vertices each)", towns_shape, [Area.from_geojson(t) for t in towns], False,
             limited)):
        for name, target in cases:
            old_ms = best_ms(lambda t=target, a=areas, c=centre_only: vertex_check(t, a, c))  # type: ignore[misc]
            new_ms = best_ms(lambda t=target, p=permitted: target_within(t, p))  # type: ignore[misc]
            frozen = freeze(permitted, target)
            rows.append((scope_name, name, vertex_check(target, areas, centre_only), target_within(target, permitted),
                         old_ms, new_ms, len(frozen)))
            print(f"{scope_name}: {name}: old {old_ms:.1f} ms, exact {new_ms:.1f} ms", flush=True)

    circle = Circle(*stafford, 3000)
    frozen_scope = FrozenScope(freeze(boundary_shape, circle))
    rng = random.Random(7)
    points = [offset(*stafford, rng.uniform(-3000, 3000), rng.uniform(-3000, 3000)) for _ in range(100_000)]
    scope_ms = best_ms(lambda: [frozen_scope.contains(lat, lng) for lat, lng in points], 3)
    circle_ms = best_ms(lambda: [circle.contains(lat, lng) for lat, lng in points], 3)

    lines = ["| who | target | old check allowed | exact check allows | old check | exact check | old ÷ exact | "
             "frozen scope |", "|---|---|---|---|---|---|---|---|"]
    # ratio: the old check's time over the exact one's (above 1, the exact check is the faster)
    for scope_name, name, old_ok, new_ok, old_ms, new_ms, size in rows:
        lines.append(f"| {scope_name} | {name} | {'yes' if old_ok else 'no'} | {'yes' if new_ok else 'no'} | "
                     f"{old_ms:,.1f} ms | {new_ms:,.1f} ms | {old_ms / max(new_ms, 1e-6):,.1f} | {size:,} B |")
    lines.append("")
    lines.append(f"Worker, per resident: frozen-scope test {100_000 / scope_ms * 1000:,.0f} points/s; the circle's "
                 f"own test (baseline) {100_000 / circle_ms * 1000:,.0f} points/s "
                 f"(ratio {scope_ms / circle_ms:,.2f}).")
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        write_section("bench.scope", f"{text}\n\nReproduce: `.venv/bin/python -m bench.scope --boundary-vertices "
                      f"{args.boundary_vertices} --write-docs` (2 cores; best of 5 runs each).",
                      "## Reach: may this officer send here? (`bench/scope.py`)")


if __name__ == "__main__":
    main()
