import h3
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.geo import PARTITION_RESOLUTION, location_key, point_cell_of, ranges_for_cell

uk_lat = st.floats(min_value=50.0, max_value=58.0)
uk_lng = st.floats(min_value=-5.5, max_value=1.5)


@settings(max_examples=300, deadline=None)
@given(lat=uk_lat, lng=uk_lng, resolution=st.integers(min_value=3, max_value=15))
def test_a_point_sorts_inside_the_range_of_every_ancestor_cell(lat: float, lng: float, resolution: int) -> None:
    key = location_key(lat, lng)
    sort_key = key.sort_key("01JRESIDENT", "01JLOCATION")
    ancestor = h3.cell_to_parent(key.point_cell, resolution)
    ranges = ranges_for_cell(ancestor)
    assert any(r.partition == key.partition and r.low <= sort_key <= r.high for r in ranges)


@settings(max_examples=200, deadline=None)
@given(lat=uk_lat, lng=uk_lng, other_lat=uk_lat, other_lng=uk_lng, resolution=st.integers(min_value=6, max_value=14))
def test_a_point_outside_a_cell_never_sorts_inside_its_range(lat: float, lng: float, other_lat: float,
                                                              other_lng: float, resolution: int) -> None:
    cell = h3.latlng_to_cell(lat, lng, resolution)
    other = location_key(other_lat, other_lng)
    if h3.cell_to_parent(other.point_cell, resolution) == cell:
        return
    (key_range,) = ranges_for_cell(cell)
    sort_key = other.sort_key("01JRESIDENT", "01JLOCATION")
    assert not (key_range.partition == other.partition and key_range.low <= sort_key <= key_range.high)


def test_the_partition_is_the_resolution_6_parent_and_the_sort_key_starts_with_the_point() -> None:
    key = location_key(52.8066, -2.1167)  # Stafford
    assert h3.get_resolution(key.partition) == PARTITION_RESOLUTION
    assert h3.get_resolution(key.point_cell) == 15 and len(key.point_cell) == 15
    assert point_cell_of(key.sort_key("R", "L")) == key.point_cell


def test_a_cell_coarser_than_the_partition_reads_one_range_per_partition() -> None:
    coarse = h3.latlng_to_cell(52.8, -2.1, 5)
    ranges = ranges_for_cell(coarse)
    assert len(ranges) == 7 and len({r.partition for r in ranges}) == 7
