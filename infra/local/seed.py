"""Demo officers for the local stack: one Cognito user per role, each enrolled in TOTP and entered in the registry.

Passwords are generated at each start; they and the TOTP secrets are returned to the caller (run.py writes them to the
state file only, mode 0600) and never logged. What a user may do comes from the officer registry
(`<prefix>-officers`), as in production; the registry entries are written here through the app's own adapter.
"""

from __future__ import annotations

import contextlib
import secrets
import string
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from infra.local.emulator import REGION
from infra.local.token import code_for_now, sign_in

FUNCTIONS_DIR = str(Path(__file__).resolve().parents[2] / "functions")
if FUNCTIONS_DIR not in sys.path:  # the registry adapter and its entries are the app's own (functions/chalicelib)
    sys.path.insert(0, FUNCTIONS_DIR)

DEMO_ORG = "staffordshire"
DEMO_ORG_NAME = "Staffordshire Police (demo)"
DEMO_DOMAIN = "hexwatch.example"
OPERATOR = "operator"
# Demo user -> their roles (the highest counts; none means no registry entry at all). "operator" is the platform
# operator, who manages organisations and boundaries and belongs to no force.
DEMO_ROLES: dict[str, list[str]] = {
    "volunteer": ["volunteer"],
    "officer": ["officer"],
    "supervisor": ["supervisor"],
    "admin": ["admin"],
    "operator": [OPERATOR],
}
ROLE_ORDER = ["volunteer", "officer", "supervisor", "admin"]


def generate_password(length: int = 20) -> str:
    """A password that meets the template's policy (12+ characters with lower, upper case and digits)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            return candidate


def _registry(cognito: Any, user_pool_id: str, endpoint: str | None, region: str) -> Any:
    """The app's registry adapter on this pool's stack: the pool is named `<prefix>-officers`, as are the tables."""
    from chalicelib.adapters.officer_registry import OfficerRegistry

    prefix = str(cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]["Name"]).removesuffix("-officers")
    # With an explicit endpoint this is the emulator, which takes any credentials (a shell may have none set).
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if endpoint else {}
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region, **credentials)
    return OfficerRegistry(dynamodb, f"{prefix}-officers", f"{prefix}-organisations")


def register_organisation(registry: Any, org: str, name: str) -> None:
    from chalicelib.adapters.officer_registry import Organisation

    if registry.organisation(org) is None:
        registry.put_organisation(Organisation(org, name, "demo-seed", _now()))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _enrol_totp(client: Any, user_pool_id: str, client_id: str, username: str, password: str) -> str:
    """Enrols the user's authenticator app, as an officer does at first sign-in; returns the TOTP secret."""
    tokens = sign_in("", "", user_pool_id, client_id, username, password, cognito=client)
    secret = str(client.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"])
    client.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=code_for_now(secret),
                                 FriendlyDeviceName="demo authenticator")
    client.admin_set_user_mfa_preference(UserPoolId=user_pool_id, Username=username,
                                         SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return secret


def seed_officers(
    user_pool_id: str,
    *,
    endpoint: str | None = None,
    region: str = REGION,
    org: str = DEMO_ORG,
    roles: dict[str, list[str]] | None = None,
    areas: dict[str, list[str]] | None = None,
    cognito: Any = None,
) -> list[dict[str, Any]]:
    """Create (or reset) one demo user per entry of `roles`, enrol TOTP and write their registry entries.

    Returns [{username, password, totp_secret, sub, org, role, areas}]. A user listed in `areas` is limited to those
    area ids; everyone else acts for the whole organisation.
    """
    from chalicelib.domain.officers import RegistryEntry

    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if endpoint else {}
    client = cognito or boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region, **credentials)
    client_id = client.list_user_pool_clients(UserPoolId=user_pool_id, MaxResults=60)["UserPoolClients"][0][
        "ClientId"]
    registry = _registry(client, user_pool_id, endpoint, region)
    register_organisation(registry, org, DEMO_ORG_NAME if org == DEMO_ORG else org.replace("-", " ").title())
    users: list[dict[str, Any]] = []
    for label, granted in (roles or DEMO_ROLES).items():
        username = f"demo-{label}@{DEMO_DOMAIN}"
        password = generate_password()
        # A second run against the same emulator keeps the user and gives it this run's password.
        with contextlib.suppress(client.exceptions.UsernameExistsException):
            client.admin_create_user(
                UserPoolId=user_pool_id,
                Username=username,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": username},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "custom:org", "Value": org},
                ],
            )
        client.admin_set_user_password(UserPoolId=user_pool_id, Username=username, Password=password, Permanent=True)
        client.admin_set_user_mfa_preference(UserPoolId=user_pool_id, Username=username,
                                             SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})
        secret = _enrol_totp(client, user_pool_id, client_id, username, password)
        sub = next(a["Value"] for a in client.admin_get_user(UserPoolId=user_pool_id, Username=username)[
            "UserAttributes"] if a["Name"] == "sub")
        role = OPERATOR if OPERATOR in granted else max(granted, key=ROLE_ORDER.index, default=None)
        limited = sorted((areas or {}).get(label, []))
        if role is not None:
            registry.put_entry(RegistryEntry(
                sub=sub, username=username, organisation="" if role == OPERATOR else org, role=role,
                areas=tuple(limited), whole_organisation=role != OPERATOR and not limited,
                updated_by="demo-seed", updated_at=_now()))
        else:
            registry.remove_entry(sub)
        users.append({"username": username, "password": password, "totp_secret": secret, "sub": sub,
                      "org": "" if role == OPERATOR else org, "role": label, "areas": limited})
    return users
