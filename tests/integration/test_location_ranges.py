"""Property: one range query per cell returns exactly the residents whose res-15 cell descends from that cell."""

from __future__ import annotations

import random
from collections.abc import Iterator

import h3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.models import LocationModel, bind_tables
from chalicelib.adapters.residents_store import LocationIndex
from chalicelib.domain.coverage import distance_m
from chalicelib.domain.geo import location_key, point_cell_of, ranges_for_cell

STAFFORD = (52.8066, -2.1167)
RESIDENTS = 1_000


@pytest.fixture(scope="module")
def population(emulator) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """1,000 residents around Stafford, some sharing one point exactly; returns sort key -> res-15 cell."""
    from infra.local import stack

    outputs = stack.deploy(emulator.endpoint, "ranges", "alerts@hexwatch.example")
    bind_tables(outputs["prefix"], "eu-west-2")
    rng = random.Random(2026)
    shared_point = (52.80, -2.12)
    stored: dict[str, str] = {}
    with LocationModel.batch_write() as batch:
        for index in range(RESIDENTS):
            if index % 10 == 0:
                lat, lng = shared_point  # a block of flats: many residents at one point must not overwrite
            else:
                # Spread from a few metres to about 60 km, so cells of every resolution hold someone.
                spread = rng.choice([0.0005, 0.005, 0.05, 0.3])
                lat, lng = STAFFORD[0] + rng.gauss(0, spread), STAFFORD[1] + rng.gauss(0, spread * 1.6)
            key = location_key(lat, lng)
            resident_id = f"R{index:05d}"
            sort_key = key.sort_key(resident_id, "L1")
            batch.save(LocationModel(cell=key.partition, sk=sort_key, resident_id=resident_id, location_id="L1",
                                     lat=lat, lng=lng, precision="point", language="en", consent_version="t"))
            stored[sort_key] = key.point_cell
    assert LocationModel.count() == RESIDENTS
    yield stored
    # Point the models back at the session's tables for the tests that follow.
    bind_tables(emulator.prefix, "eu-west-2")


def cells_to_query(population: dict[str, str]):  # type: ignore[no-untyped-def]
    points = sorted(set(population.values()))
    ancestors = st.tuples(st.sampled_from(points), st.integers(min_value=5, max_value=14)).map(
        lambda pair: h3.cell_to_parent(pair[0], pair[1]))
    # Cells near but not necessarily containing anyone, including empty neighbours.
    neighbours = ancestors.flatmap(lambda cell: st.sampled_from(sorted(h3.grid_disk(cell, 1))))
    return st.one_of(ancestors, neighbours)


def test_range_queries_return_exactly_the_descendants(population: dict[str, str]) -> None:
    index = LocationIndex()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(cell=cells_to_query(population))
    def check(cell: str) -> None:
        resolution = h3.get_resolution(cell)
        expected = {sk for sk, point in population.items() if h3.cell_to_parent(point, resolution) == cell}
        found = [item.sk for item in index.in_ranges(ranges_for_cell(cell))]
        assert len(found) == len(set(found)), "no resident is returned twice"
        assert set(found) == expected
        assert all(h3.cell_to_parent(point_cell_of(sk), resolution) == cell for sk in found)

    check()
    shared = h3.latlng_to_cell(52.80, -2.12, 15)
    at_one_point = [item for item in index.in_ranges(ranges_for_cell(shared))]
    assert len(at_one_point) == RESIDENTS // 10  # residents at one point never overwrite one another


@pytest.mark.parametrize("radius", [50, 400, 3_000, 20_000])
def test_a_circle_finds_exactly_the_residents_inside_it(population: dict[str, str], radius: int) -> None:
    from chalicelib.domain.coverage import Circle
    from chalicelib.services.targeting import LocationFinder, TargetingStats

    circle = Circle(52.80, -2.12, radius)
    expected = {sk for sk, point in population.items() if circle.contains(*h3.cell_to_latlng(point))}
    stats = TargetingStats()
    found = [item.sk for item in LocationFinder().inside(circle, stats)]
    assert len(found) == len(set(found))
    # The stored lat/lng, not the res-15 centre, decides; the two are within a metre, so compare loosely at the rim.
    assert expected - set(found) <= {sk for sk in expected if abs(
        distance_m(52.80, -2.12, *h3.cell_to_latlng(population[sk])) - radius) < 2}
    assert stats.queries <= 300 and stats.items_read <= max(10, 2 * len(found))
