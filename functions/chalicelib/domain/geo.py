"""H3 keys for residents' locations, and the key ranges that read every resident in a cell with one query.

A location is stored under partition key = its H3 parent at PARTITION_RESOLUTION and sort key =
`<res-15 cell>#<resident id>#<location id>`. All res-15 descendants of a cell form one contiguous range of 15-digit
hex strings (the gaps hold only invalid indexes), so a cell at PARTITION_RESOLUTION or finer is one
`BETWEEN min_child AND max_child#~` query. A coarser cell is one query per partition-resolution child.

Resolution 6 (about 36 km2 a cell) is the partition: a town centre's residents share a few partitions, a 20 km circle
spans about 40, and even a dense city cell stays far below what one partition can serve.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3

PARTITION_RESOLUTION = 6
POINT_RESOLUTION = 15
RANGE_END = "#~"  # sorts after every "#<resident>#<location>" suffix


@dataclass(frozen=True)
class LocationKey:
    partition: str
    point_cell: str

    def sort_key(self, resident_id: str, location_id: str) -> str:
        return f"{self.point_cell}#{resident_id}#{location_id}"


@dataclass(frozen=True)
class KeyRange:
    partition: str
    low: str
    high: str


def location_key(lat: float, lng: float) -> LocationKey:
    point = h3.latlng_to_cell(lat, lng, POINT_RESOLUTION)
    return LocationKey(h3.cell_to_parent(point, PARTITION_RESOLUTION), point)


def point_cell_of(sort_key: str) -> str:
    return sort_key.split("#", 1)[0]


def ranges_for_cell(cell: str) -> list[KeyRange]:
    """The key ranges holding exactly the locations whose res-15 cell descends from `cell`."""
    resolution = h3.get_resolution(cell)
    if resolution < PARTITION_RESOLUTION:
        return [_range_within(child, child) for child in sorted(h3.cell_to_children(cell, PARTITION_RESOLUTION))]
    partition = cell if resolution == PARTITION_RESOLUTION else h3.cell_to_parent(cell, PARTITION_RESOLUTION)
    return [_range_within(partition, cell)]


def _range_within(partition: str, cell: str) -> KeyRange:
    first = h3.cell_to_center_child(cell, POINT_RESOLUTION)
    last = h3.child_pos_to_cell(cell, POINT_RESOLUTION, h3.cell_to_children_size(cell, POINT_RESOLUTION) - 1)
    return KeyRange(partition, first, last + RANGE_END)
