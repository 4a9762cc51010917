"""What the officers' command-line tools (infra/import_areas.py, infra/officers.py) share: reaching the API as a
signed-in officer, either with --api/--token or as a demo user of the local stack, and printing its refusals."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import requests

from infra.local.token import TokenError, read_state, token_from_state


def add_connection_arguments(parser: argparse.ArgumentParser, token_help: str) -> None:
    parser.add_argument("--api", help="the API's base URL")
    parser.add_argument("--token", help=token_help)
    parser.add_argument("--state-file", type=Path, help="the local stack's state file, instead of --api/--token")
    parser.add_argument("--user", default="demo-admin@hexwatch.example", help="demo user, with --state-file")


def connection(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, str]:
    """(API base URL, token) from the arguments; a usage error when neither way was given."""
    if args.state_file:
        return local_credentials(args.state_file, args.user)
    if args.api and args.token:
        return str(args.api), str(args.token)
    parser.error("give --api and --token, or --state-file")


def local_credentials(state_file: Path, username: str) -> tuple[str, str]:
    """The local stack's API and a fresh token of one of its demo users (password and TOTP from the state file)."""
    try:
        state = read_state(state_file)
        return state["site_url"], token_from_state(state, username)
    except TokenError as error:
        raise SystemExit(f"{error} ({state_file})") from None


def call(api: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """(status, JSON body) of one API request; a body that is not JSON comes back as {"message": text}."""
    data = json.dumps(body, separators=(",", ":")).encode("utf-8") if body is not None else None
    response = requests.request(method, f"{api.rstrip('/')}{path}", data=data, timeout=60,
                                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        return response.status_code, response.json() if response.content else {}
    except ValueError:
        return response.status_code, {"message": response.text}


def print_refusal(status: int, body: dict[str, Any]) -> int:
    """The API's refusal on stderr, one line per field it names; the exit status for it."""
    print(f"refused ({status}): {body.get('message')}", file=sys.stderr)
    for error in body.get("errors", []):
        print(f"  {error['pointer'] or '(body)'}: {error['message']}", file=sys.stderr)
    return 1
