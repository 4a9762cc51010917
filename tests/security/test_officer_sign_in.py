"""What the deployed shape enforces about officers' sign-in, and what the emulator shows of it.

- The app client cannot write any custom attribute, refresh tokens last at most 12 hours, MFA (TOTP) is on, and API
  Gateway caches the authorizer's answer for at most 60 s: read from the packaged template.
- A wrong TOTP code gets no token; a user's own rewrite of `custom:org` and `custom:areas` changes nothing.
- Tokens the parser cannot read are refused with 401, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from chalice.test import Client

from chalicelib import bootstrap
from infra.local import seed
from infra.local.testing import EmulatorStack
from infra.local.token import TokenError, sign_in, totp_code
from infra.package import package

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = str(ROOT / "functions")
MAX_REFRESH_HOURS = 12
MAX_AUTHORIZER_CACHE_SECONDS = 60


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((package(tmp_path_factory.mktemp("package")) / "sam.yaml").read_text())
    return loaded


def test_the_app_client_writes_no_custom_attribute_and_refresh_tokens_last_a_shift(packaged: dict[str, Any]) -> None:
    client = packaged["Resources"]["OfficersUserPoolClient"]["Properties"]
    assert client["WriteAttributes"], "without WriteAttributes, every mutable attribute is writable by its user"
    assert not [name for name in client["WriteAttributes"] if name.startswith("custom:")]
    assert "email" not in client["WriteAttributes"]  # the sign-in name is the admins' to change
    hours = {"hours": 1, "days": 24, "minutes": 1 / 60, "seconds": 1 / 3600}[client["TokenValidityUnits"]
                                                                              ["RefreshToken"]]
    assert client["RefreshTokenValidity"] * hours <= MAX_REFRESH_HOURS


def test_officers_must_use_totp(packaged: dict[str, Any]) -> None:
    pool = packaged["Resources"]["OfficersUserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_api_gateway_caches_the_authorizers_answer_for_at_most_a_minute(packaged: dict[str, Any]) -> None:
    body = packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    authorizers = [spec["x-amazon-apigateway-authorizer"] for spec in body["securityDefinitions"].values()
                   if "x-amazon-apigateway-authorizer" in spec]
    assert authorizers and all(0 < a["authorizerResultTtlInSeconds"] <= MAX_AUTHORIZER_CACHE_SECONDS
                               for a in authorizers)


@pytest.fixture
def officer(emulator: EmulatorStack) -> Iterator[tuple[dict[str, Any], Client]]:
    user = seed.seed_officers(emulator.outputs["user_pool_id"], endpoint=emulator.endpoint,
                              roles={"mfa-check": ["officer"]}, areas={"mfa-check": ["stafford"]})[0]
    bootstrap.reset()
    from app import app

    with Client(app, stage_name="local", project_dir=FUNCTIONS_DIR) as client:
        yield user, client
    bootstrap.reset()


def _sign_in(emulator: EmulatorStack, user: dict[str, Any], code: str | None = None) -> dict[str, Any]:
    return sign_in(emulator.endpoint, emulator.region, emulator.outputs["user_pool_id"],
                   emulator.outputs["user_pool_client_id"], user["username"], user["password"],
                   None if code else user["totp_secret"], code=code)


def test_a_password_alone_gets_no_token_and_a_wrong_code_gets_none_either(
        emulator: EmulatorStack, officer: tuple[dict[str, Any], Client]) -> None:
    user, _ = officer
    with pytest.raises(TokenError, match="TOTP"):
        sign_in(emulator.endpoint, emulator.region, emulator.outputs["user_pool_id"],
                emulator.outputs["user_pool_client_id"], user["username"], user["password"])
    right = totp_code(user["totp_secret"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    cognito = boto3.client("cognito-idp")
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        _sign_in(emulator, user, code=wrong)
    assert _sign_in(emulator, user)["IdToken"]  # and the right code does


def test_rewriting_ones_own_custom_attributes_changes_nothing(
        emulator: EmulatorStack, officer: tuple[dict[str, Any], Client]) -> None:
    user, client = officer
    tokens = _sign_in(emulator, user)
    # The emulator, unlike AWS with this template's WriteAttributes, lets the user do it.
    boto3.client("cognito-idp").update_user_attributes(
        AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "custom:org", "Value": "west-mercia"},
                                                           {"Name": "custom:areas", "Value": ""}])
    fresh = _sign_in(emulator, user)
    claims = json.loads(__import__("base64").urlsafe_b64decode(fresh["IdToken"].split(".")[1] + "==="))
    assert claims["custom:org"] == "west-mercia"  # the token says so...
    me = client.http.get("/v1/officer/me", headers={"Authorization": f"Bearer {fresh['IdToken']}"})
    assert me.status_code == 200, me.body
    assert json.loads(me.body) == {"username": user["username"], "organisation": "staffordshire",
                                   "role": "officer", "areas": ["stafford"], "whole_organisation": False}


@pytest.mark.parametrize("token", [
    "é.é.é", "a" * 20_000, "eyJhbGciOiJSUzI1NiJ9", "eyJ.eyJ.sig", "W10.W10.W10", "bnVsbA.bnVsbA.x",
    "eyJhbGciOiJSUzI1NiIsImtpZCI6MX0.e30.x",  # kid is a number
    "eyJhbGciOiJSUzI1NiIsImtpZCI6WzFdfQ.e30.x",  # kid is a list
    "..", "a.b.c.d.e", "\u200f.\u202e.x",
])
def test_a_token_the_parser_cannot_read_is_refused_with_401(
        officer: tuple[dict[str, Any], Client], token: str) -> None:
    _, client = officer
    response = client.http.get("/v1/officer/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.body
    assert json.loads(response.body)["code"] == "Unauthorized"
