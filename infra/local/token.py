"""Print a demo officer's Cognito ID token from the running local stack: `make -s token USER=demo-officer@...`.

    curl -H "Authorization: Bearer $(make -s token USER=demo-officer@hexwatch.example)" localhost:8080/v1/officer/me

It reads the stack's state file (written by `python -m infra.local.run`, mode 0600) for the emulator's address, the
pool, its client, the user's password and the TOTP secret their authenticator app was enrolled with, signs in with
ADMIN_USER_PASSWORD_AUTH and answers the SOFTWARE_TOKEN_MFA challenge with the current code, as the officer's app
would. Only the token goes to stdout.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import struct
import sys
import time
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


def totp_code(secret: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238: the code an authenticator app shows for a base32 secret (HMAC-SHA1, 30-second steps)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def code_for_now(secret: str, step: int = 30, margin: float = 1.5) -> str:
    """The current code, waiting for the next step first when this one is about to end: the server checks only the
    step it is in when the code arrives (as a person would, waiting for the app to show a fresh code)."""
    into_step = time.time() % step
    if into_step > step - margin:
        time.sleep(step - into_step + 0.05)
    return totp_code(secret, step=step)


def sign_in(endpoint: str, region: str, user_pool_id: str, client_id: str, username: str, password: str,
            totp_secret: str | None = None, cognito: Any = None, code: str | None = None) -> dict[str, Any]:
    """The AuthenticationResult (IdToken, AccessToken, RefreshToken) of a password and TOTP sign-in."""
    client = cognito or boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region,
                                     aws_access_key_id="testing", aws_secret_access_key="testing")
    result = client.admin_initiate_auth(UserPoolId=user_pool_id, ClientId=client_id,
                                        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": username, "PASSWORD": password})
    if result.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
        if code is None and totp_secret is None:
            raise TokenError(f"{username} signs in with a TOTP code, and no secret was given")
        result = client.admin_respond_to_auth_challenge(
            UserPoolId=user_pool_id, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=result["Session"],
            ChallengeResponses={"USERNAME": username,
                                "SOFTWARE_TOKEN_MFA_CODE": code or code_for_now(str(totp_secret))})
    elif "ChallengeName" in result:
        raise TokenError(f"unexpected challenge {result['ChallengeName']} for {username}")
    return dict(result["AuthenticationResult"])


def id_token(endpoint: str, region: str, user_pool_id: str, client_id: str, username: str, password: str,
             cognito: Any = None, totp_secret: str | None = None) -> str:
    return str(sign_in(endpoint, region, user_pool_id, client_id, username, password, totp_secret,
                       cognito)["IdToken"])


def user_record(state: dict[str, Any], username: str) -> dict[str, Any]:
    for user in state.get("users") or []:
        if user.get("username", "").lower() == username.lower():
            return dict(user)
    known = ", ".join(u.get("username", "?") for u in state.get("users") or []) or "none"
    raise TokenError(f"{username} is not a demo user of this stack (known: {known})")


def token_from_state(state: dict[str, Any], username: str) -> str:
    user = user_record(state, username)
    return id_token(state["endpoint"], state.get("region") or "eu-west-2", state["user_pool_id"],
                    str(state["user_pool_client_id"]).split(",")[0], username, str(user["password"]),
                    totp_secret=user.get("totp_secret"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a demo officer's ID token from the running local stack.")
    parser.add_argument("user", nargs="?", default=DEFAULT_USER, help=f"a demo user (default {DEFAULT_USER})")
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    parser.add_argument("--login", action="store_true",
                        help="print what to type into the console's sign-in form instead: the user name, password "
                             "and the authenticator code of the next 30 seconds")
    args = parser.parse_args(argv)
    try:
        state = read_state(args.state_file)
        if args.login:
            user = user_record(state, args.user)
            print(f"user name  {user['username']}\npassword   {user['password']}\n"
                  f"code       {code_for_now(str(user['totp_secret']))} (changes every 30 seconds; run again)\n"
                  f"console    {state.get('console_url') or str(state.get('site_url', '')) + '/console/'}")
            return 0
        print(token_from_state(state, args.user))
    except TokenError as error:
        print(f"token: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
