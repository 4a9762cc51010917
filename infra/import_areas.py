"""Import named areas from a GeoJSON file through the officers' API, as a supervisor or admin.

    python -m infra.import_areas FILE.geojson --api https://alerts.example.org --token "$TOKEN"
    python -m infra.import_areas FILE.geojson --state-file .local/stack.json --user demo-admin@hexwatch.example

With --state-file (the local stack), the API address and a demo officer's token come from the running stack.
The API checks every feature (winding, closure, self-crossing, inside the boundary) and imports all or nothing;
each refusal is printed with the JSON pointer of the ring or position at fault.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import requests

from infra.local.token import id_token


def import_file(path: Path, api: str, token: str) -> tuple[int, dict[str, Any]]:
    response = requests.post(f"{api.rstrip('/')}/v1/areas", data=path.read_bytes(), timeout=60,
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
                     user["username"], user["password"])
    return state["site_url"], token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--api", help="the API's base URL")
    parser.add_argument("--token", help="an officer's ID token (supervisor or admin)")
    parser.add_argument("--state-file", type=Path, help="the local stack's state file, instead of --api/--token")
    parser.add_argument("--user", default="demo-admin@hexwatch.example", help="demo user, with --state-file")
    args = parser.parse_args(argv)
    if args.state_file:
        api, token = local_credentials(args.state_file, args.user)
    elif args.api and args.token:
        api, token = args.api, args.token
    else:
        parser.error("give --api and --token, or --state-file")
    status, body = import_file(args.file, api, token)
    if status == 201:
        print(f"imported {len(body['imported'])} areas into {body['organisation']}: {', '.join(body['imported'])}")
        return 0
    print(f"refused ({status}): {body.get('message')}", file=sys.stderr)
    for error in body.get("errors", []):
        print(f"  {error['pointer'] or '(body)'}: {error['message']}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
