"""The area-import command against the running stack: imports a good file, prints the refusals of a bad one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SQUARE = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.2, 52.9], [-2.2, 52.7]]


def run(state: dict[str, Any], tmp_path: Path, features: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    geojson = tmp_path / "areas.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return subprocess.run([sys.executable, "-m", "infra.import_areas", str(geojson), "--state-file", str(state_file),
                           "--user", "demo-supervisor@hexwatch.example"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def test_a_supervisor_imports_a_ward_and_sees_why_a_bad_one_is_refused(local_stack: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    good = run(local_stack, tmp_path, [{"type": "Feature", "id": "stafford-north", "properties": {"name": "North"},
                                        "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}])
    assert good.returncode == 0, good.stderr
    assert "imported 1 areas into staffordshire: stafford-north" in good.stdout
    bad = run(local_stack, tmp_path, [{"type": "Feature", "id": "backwards", "properties": {"name": "Backwards"},
                                       "geometry": {"type": "Polygon", "coordinates": [list(reversed(SQUARE))]}}])
    assert bad.returncode == 1
    assert "/features/0/geometry/coordinates/0: the outer ring runs clockwise" in bad.stderr
