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

import requests

from infra.local.token import id_token

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


def import_collection(collection: dict[str, Any], api: str, token: str) -> tuple[int, dict[str, Any]]:
    data = json.dumps(collection, separators=(",", ":")).encode("utf-8")
    response = requests.post(f"{api.rstrip('/')}/v1/areas", data=data, timeout=60,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text}
    return response.status_code, body


def local_credentials(state_file: Path, username: str) -> tuple[str, str]:
    state = json.loads(state_file.read_text(encoding="utf-8"))
    user = next((u for u in state["users"] if u["username"] == username), None)
    if user is None:
        raise SystemExit(f"{username} is not a demo user of the stack in {state_file}")
    token = id_token(state["endpoint"], state["region"], state["user_pool_id"], state["user_pool_client_id"],
                     user["username"], user["password"], totp_secret=user["totp_secret"])
    return state["site_url"], token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--api", help="the API's base URL")
    parser.add_argument("--token", help="an officer's ID token (supervisor or admin)")
    parser.add_argument("--state-file", type=Path, help="the local stack's state file, instead of --api/--token")
    parser.add_argument("--user", default="demo-admin@hexwatch.example", help="demo user, with --state-file")
    parser.add_argument("--id-property", help="the feature property whose value (as a slug) becomes the area id")
    parser.add_argument("--name-property", help="the feature property whose value becomes the area's name")
    args = parser.parse_args(argv)
    if args.state_file:
        api, token = local_credentials(args.state_file, args.user)
    elif args.api and args.token:
        api, token = args.api, args.token
    else:
        parser.error("give --api and --token, or --state-file")
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
    status, body = import_collection(collection, api, token)
    if status == 201:
        print(f"imported {len(body['imported'])} areas into {body['organisation']}: {', '.join(body['imported'])}")
        return 0
    return print_refusal(status, body)


def print_refusal(status: int, body: dict[str, Any]) -> int:
    """The API's refusal on stderr, one line per field it names; the exit status for it."""
    print(f"refused ({status}): {body.get('message')}", file=sys.stderr)
    for error in body.get("errors", []):
        print(f"  {error['pointer'] or '(body)'}: {error['message']}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
