"""Import named areas from a GeoJSON file through the officers' API, as a supervisor or admin.

    python -m infra.import_areas FILE.geojson --api https://alerts.example.org --token "$TOKEN"
    python -m infra.import_areas FILE.geojson --state-file .local/stack.json --user demo-admin@hexwatch.example

With --state-file (the local stack), the API address and a demo officer's token come from the running stack.

A file written by GDAL needs its properties mapped, since the API wants each feature's `id` (a slug) and a `name`
property. For ONS ward boundaries:

    ogr2ogr -f GeoJSON -t_srs EPSG:4326 -lco RFC7946=YES wards.geojson Wards_December_2024_Boundaries_UK_BSC.shp
    python -m infra.import_areas wards.geojson --id-property WD24CD --name-property WD24NM --state-file ...

--id-property's values become slugs ("E05015528" -> "e05015528", "North Ward" -> "north-ward").
The API checks every feature (closure, self-crossing, size, inside the boundary; ring direction is normalised) and
imports all or nothing; each refusal is printed with the JSON pointer of the ring at fault.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

from infra.officer_api import add_connection_arguments, call, connection, print_refusal

ID_LENGTH = 63  # schemas/areas-import.json: ^[a-z0-9][a-z0-9-]{0,62}$


def slug(value: Any) -> str:
    """Lower-case ASCII letters and digits, joined by single hyphens: the area id pattern of the API."""
    ascii_text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(c if c.isalnum() else " " for c in ascii_text).split()
    return "-".join(words)[:ID_LENGTH].rstrip("-")


def map_properties(collection: dict[str, Any], id_property: str | None,
                   name_property: str | None) -> list[str]:
    """Sets each feature's id and name from its own properties, in place; the problems, one per line, if any."""
    problems: list[str] = []
    for index, feature in enumerate(collection.get("features") or []):
        properties = feature.setdefault("properties", {}) if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            problems.append(f"/features/{index}: not a feature with properties")
            continue
        if id_property:
            area_id = slug(properties.get(id_property) or "")
            if not area_id:
                problems.append(f"/features/{index}/properties/{id_property}: missing, or has no letters or digits")
            feature["id"] = area_id
        if name_property:
            name = str(properties.get(name_property) or "").strip()
            if not name:
                problems.append(f"/features/{index}/properties/{name_property}: missing or empty")
            properties["name"] = name
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    add_connection_arguments(parser, "an officer's ID token (supervisor or admin)")
    parser.add_argument("--id-property", help="the feature property whose value (as a slug) becomes the area id")
    parser.add_argument("--name-property", help="the feature property whose value becomes the area's name")
    args = parser.parse_args(argv)
    api, token = connection(parser, args)
    try:
        collection = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as failure:
        print(f"cannot read {args.file}: {failure}", file=sys.stderr)
        return 1
    if not isinstance(collection, dict):
        print(f"{args.file} is not a GeoJSON FeatureCollection", file=sys.stderr)
        return 1
    problems = map_properties(collection, args.id_property, args.name_property)
    if problems:
        print(f"cannot map the properties of {args.file}:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    status, body = call(api, token, "POST", "/v1/areas", collection)
    if status == 201:
        print(f"imported {len(body['imported'])} areas into {body['organisation']}: {', '.join(body['imported'])}")
        return 0
    return print_refusal(status, body)


if __name__ == "__main__":
    sys.exit(main())
