"""Demo officers for the local stack: one Cognito user per role, with passwords generated at each start.

The passwords are returned to the caller (run.py writes them to the state file only); they are never logged.
"""

from __future__ import annotations

import contextlib
import secrets
import string
from typing import Any

import boto3

from infra.local.emulator import REGION

DEMO_ORG = "staffordshire"
DEMO_DOMAIN = "hexwatch.example"
# Role -> the groups its demo user is in, lowest to highest; the group names are the template's UserPoolGroups.
DEMO_ROLES: dict[str, list[str]] = {
    "volunteer": ["volunteer"],
    "officer": ["officer"],
    "supervisor": ["supervisor"],
    "admin": ["admin"],
}


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


def seed_officers(
    user_pool_id: str,
    *,
    endpoint: str | None = None,
    region: str = REGION,
    org: str = DEMO_ORG,
    roles: dict[str, list[str]] | None = None,
    cognito: Any = None,
) -> list[dict[str, Any]]:
    """Create (or reset) one demo user per role; returns [{username, password, groups, org}]."""
    client = cognito or boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region)
    users: list[dict[str, Any]] = []
    for role, groups in (roles or DEMO_ROLES).items():
        username = f"demo-{role}@{DEMO_DOMAIN}"
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
        for group in groups:
            client.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=group)
        users.append({"username": username, "password": password, "groups": list(groups), "org": org, "role": role})
    return users
