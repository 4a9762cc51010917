"""The area-import command against the running stack: imports a good file and one written by ogr2ogr (its
properties mapped), and prints the refusals of a bad one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SQUARE = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.2, 52.9], [-2.2, 52.7]]


def run(state: dict[str, Any], tmp_path: Path, features: list[dict[str, Any]] | Path,
        *options: str) -> subprocess.CompletedProcess[str]:
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    geojson = features if isinstance(features, Path) else tmp_path / "areas.geojson"
    if not isinstance(features, Path):
        geojson.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return subprocess.run([sys.executable, "-m", "infra.import_areas", str(geojson), "--state-file", str(state_file),
                           "--user", "demo-supervisor@hexwatch.example", *options], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_a_supervisor_imports_a_ward_and_sees_why_a_bad_one_is_refused(local_stack: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    good = run(local_stack, tmp_path, [{"type": "Feature", "id": "stafford-north", "properties": {"name": "North"},
                                        "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}])
    assert good.returncode == 0, good.stderr
    assert "imported 1 areas into staffordshire: stafford-north" in good.stdout
    bow_tie = [[-2.2, 52.7], [-2.0, 52.9], [-2.0, 52.7], [-2.2, 52.9], [-2.2, 52.7]]
    bad = run(local_stack, tmp_path, [{"type": "Feature", "id": "bow-tie", "properties": {"name": "Bow tie"},
                                       "geometry": {"type": "Polygon", "coordinates": [bow_tie]}}])
    assert bad.returncode == 1
    assert "/features/0/geometry/coordinates/0: the ring crosses or touches itself near latitude 52.8" in bad.stderr


def test_a_file_written_by_ogr2ogr_imports_once_its_properties_are_mapped(local_stack: dict[str, Any],
                                                                         tmp_path: Path) -> None:
    wards = ROOT / "tests" / "events" / "ogr2ogr-wards.geojson"
    unmapped = run(local_stack, tmp_path, wards)
    assert unmapped.returncode == 1 and "/features/0/id: is required" in unmapped.stderr
    mapped = run(local_stack, tmp_path, wards, "--id-property", "WD24CD", "--name-property", "WD24NM")
    assert mapped.returncode == 0, mapped.stderr
    assert "imported 3 areas into staffordshire: e05015529, e05015531, e05015526" in mapped.stdout
