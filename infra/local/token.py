"""Print a demo officer's Cognito ID token from the running local stack: `make -s token USER=demo-officer@...`.

    curl -H "Authorization: Bearer $(make -s token USER=demo-officer@hexwatch.example)" localhost:8080/v1/officer/me

It reads the stack's state file (written by `python -m infra.local.run`, mode 0600) for the emulator's address, the
pool, its client and the user's password, and signs in with ADMIN_USER_PASSWORD_AUTH. Only the token goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3

DEFAULT_STATE_FILE = Path(".local/stack.json")  # as infra/local/run.py writes it
DEFAULT_USER = "demo-officer@hexwatch.example"


class TokenError(Exception):
    pass


def read_state(path: Path) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise TokenError(f"{path} does not exist: start the local stack first (make run)") from None
    return state


def password_for(state: dict[str, Any], username: str) -> str:
    for user in state.get("users") or []:
        if user.get("username", "").lower() == username.lower():
            return str(user["password"])
    known = ", ".join(u.get("username", "?") for u in state.get("users") or []) or "none"
    raise TokenError(f"{username} is not a demo user of this stack (known: {known})")


def id_token(endpoint: str, region: str, user_pool_id: str, client_id: str, username: str, password: str,
             cognito: Any = None) -> str:
    client = cognito or boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region,
                                     aws_access_key_id="testing", aws_secret_access_key="testing")
    result = client.admin_initiate_auth(UserPoolId=user_pool_id, ClientId=client_id,
                                        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": username, "PASSWORD": password})
    return str(result["AuthenticationResult"]["IdToken"])


def token_from_state(state: dict[str, Any], username: str) -> str:
    return id_token(state["endpoint"], state.get("region") or "eu-west-2", state["user_pool_id"],
                    str(state["user_pool_client_id"]).split(",")[0], username, password_for(state, username))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a demo officer's ID token from the running local stack.")
    parser.add_argument("user", nargs="?", default=DEFAULT_USER, help=f"a demo user (default {DEFAULT_USER})")
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    args = parser.parse_args(argv)
    try:
        print(token_from_state(read_state(args.state_file), args.user))
    except TokenError as error:
        print(f"token: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
