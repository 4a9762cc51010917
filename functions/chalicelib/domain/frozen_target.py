"""An alert's target geometry as text, so that the plan can freeze it once and every later stage reads that, never
the areas again (an area edited mid-send cannot change who an alert already being sent reaches). Pure: no AWS here."""

from __future__ import annotations

import json
import zlib
from typing import Any

from .coverage import Area, Circle, Target


def to_bytes(target: Target) -> bytes:
    document: dict[str, Any]
    if isinstance(target, Circle):
        document = {"type": "Circle", "lat": target.lat, "lng": target.lng, "radius_m": target.radius_m}
    else:
        document = {"type": "MultiPolygon", "coordinates": [list(polygon) for polygon in target.polygons]}
    # A force's boundary of 50,000 vertices is about 2 MB of JSON; compressed it is under half of that.
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"), 6)


def from_bytes(data: bytes) -> Target:
    document = json.loads(zlib.decompress(data))
    if document["type"] == "Circle":
        return Circle(float(document["lat"]), float(document["lng"]), float(document["radius_m"]))
    return Area.from_geojson(document)
