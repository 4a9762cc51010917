"""The plan's frozen geometry on the emulator: a force boundary larger than one DynamoDB item reads back exactly."""

from __future__ import annotations

import math
from typing import Any

import boto3

from chalicelib.adapters.plan_store import CHUNK_BYTES, PlanStore
from chalicelib.domain.coverage import Area, Circle
from chalicelib.domain.frozen_target import to_bytes


def test_a_boundary_of_many_vertices_is_frozen_in_chunks_and_read_back_exactly(
        emulator: Any, fresh_stack: Any) -> None:
    outputs = fresh_stack()
    table = f"{outputs['prefix']}-deliveries"
    ring = [[-2.1 + 0.3 * math.cos(2 * math.pi * k / 60_000) + (k % 7) * 1e-7,
             52.8 + 0.2 * math.sin(2 * math.pi * k / 60_000)] for k in range(60_000)]
    boundary = Area.from_geojson({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    assert len(to_bytes(boundary)) > CHUNK_BYTES  # more than one item's worth

    PlanStore(boto3.client("dynamodb"), table).freeze("01PLANSTORETEST00000000000", boundary)
    fresh = PlanStore(boto3.client("dynamodb"), table)  # another worker: nothing cached
    assert fresh.target("01PLANSTORETEST00000000000") == boundary
    assert fresh.target("01NOSUCHPLAN00000000000000") is None

    circle = Circle(52.8, -2.1, 3000.0)
    fresh.freeze("01PLANSTORECIRCLE000000000", circle)
    assert PlanStore(boto3.client("dynamodb"), table).target("01PLANSTORECIRCLE000000000") == circle
