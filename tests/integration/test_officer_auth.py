"""Officers sign in against the emulator's user pool and reach GET /v1/officer/me through the built-in authorizer.

The tokens are the emulator's own (ADMIN_USER_PASSWORD_AUTH, as `make token` gets them), verified with the keys from
its JWKS URL; the app runs in chalice.test.Client, whose local gateway runs the authorizer as `chalice local` does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from chalice.test import Client
from moto.utilities.utils import load_resource

from chalicelib import bootstrap
from infra.local import seed
from infra.local import token as token_module
from infra.local.testing import EmulatorStack
from infra.local.token import id_token

FUNCTIONS_DIR = str(Path(__file__).parents[2] / "functions")


@pytest.fixture(scope="module")
def officers(emulator: EmulatorStack) -> dict[str, dict[str, Any]]:
    users = seed.seed_officers(emulator.outputs["user_pool_id"], endpoint=emulator.endpoint)
    return {user["role"]: user for user in users}


@pytest.fixture
def client(emulator: EmulatorStack) -> Iterator[Client]:
    bootstrap.reset()
    from app import app

    with Client(app, stage_name="local", project_dir=FUNCTIONS_DIR) as test_client:
        yield test_client
    bootstrap.reset()


def sign_in(emulator: EmulatorStack, user: dict[str, Any], outputs: dict[str, Any] | None = None) -> str:
    outputs = outputs or emulator.outputs
    return id_token(emulator.endpoint, emulator.region, outputs["user_pool_id"], outputs["user_pool_client_id"],
                    user["username"], user["password"], totp_secret=user["totp_secret"])


def me(client: Client, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.http.get("/v1/officer/me", headers=headers)


def assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.body
    assert isinstance(json.loads(response.body), dict)  # a JSON body, never an HTML page or nothing


@pytest.mark.parametrize("role", ["volunteer", "officer", "supervisor", "admin"])
def test_each_demo_officer_is_let_in_with_their_role_and_force(
        emulator: EmulatorStack, officers: dict[str, dict[str, Any]], client: Client, role: str) -> None:
    response = me(client, sign_in(emulator, officers[role]))
    assert response.status_code == 200, response.body
    assert json.loads(response.body) == {"username": f"demo-{role}@hexwatch.example", "organisation": "staffordshire",
                                         "role": role, "areas": [], "whole_organisation": True}


def test_the_registry_decides_role_and_areas(emulator: EmulatorStack, client: Client) -> None:
    user = seed.seed_officers(emulator.outputs["user_pool_id"], endpoint=emulator.endpoint,
                              roles={"multi": ["volunteer", "supervisor"]}, areas={"multi": ["stafford", "leek"]})[0]
    body = json.loads(me(client, sign_in(emulator, user)).body)
    assert body["role"] == "supervisor" and body["areas"] == ["leek", "stafford"] and not body["whole_organisation"]


def test_no_token_is_refused(client: Client) -> None:
    assert_refused(me(client, None))


def test_another_scheme_is_refused(emulator: EmulatorStack, officers: dict[str, dict[str, Any]],
                                   client: Client) -> None:
    token = sign_in(emulator, officers["officer"])
    assert_refused(client.http.get("/v1/officer/me", headers={"Authorization": f"Basic {token}"}))


def test_a_garbage_token_is_refused_with_the_error_body(client: Client) -> None:
    response = me(client, "not.a.token")
    assert_refused(response)
    body = json.loads(response.body)
    assert body["code"] == "Unauthorized" and body["errors"] == [{"pointer": "", "message": "unauthorised"}]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(emulator: EmulatorStack, officers: dict[str, dict[str, Any]],
                                     client: Client) -> None:
    # The emulator signs every pool's tokens with the private key moto ships; re-sign a real token's claims with it,
    # an hour and a minute later.
    real = sign_in(emulator, officers["admin"])
    claims, kid = jwt.decode(real, options={"verify_signature": False}), jwt.get_unverified_header(real)["kid"]
    claims.update(iat=int(time.time()) - 3660, auth_time=int(time.time()) - 3660, exp=int(time.time()) - 60)
    private_key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(load_resource(
        "cognitoidp/resources/jwks-private.json")))
    expired = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})  # type: ignore[arg-type]
    assert_refused(me(client, expired))
    claims["exp"] = int(time.time()) + 600
    fresh = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})  # type: ignore[arg-type]
    assert me(client, fresh).status_code == 200  # the same claims, unexpired: so it was the expiry that counted


def test_a_token_from_another_user_pool_is_refused(
        emulator: EmulatorStack, fresh_stack: Callable[..., dict[str, Any]], client: Client) -> None:
    # The emulator signs every pool's tokens with one key, so only the issuer and client checks tell them apart.
    other = fresh_stack(activate=False)
    user = seed.seed_officers(other["user_pool_id"], endpoint=emulator.endpoint, roles={"admin": ["admin"]})[0]
    assert_refused(me(client, sign_in(emulator, user, other)))


def test_a_user_not_in_the_registry_is_refused(emulator: EmulatorStack, client: Client) -> None:
    user = seed.seed_officers(emulator.outputs["user_pool_id"], endpoint=emulator.endpoint, roles={"nogroup": []})[0]
    assert_refused(me(client, sign_in(emulator, user)))


def test_an_access_token_gets_the_same_standing_as_the_id_token(
        emulator: EmulatorStack, officers: dict[str, dict[str, Any]], client: Client) -> None:
    # Scope comes from the registry, keyed by the token's sub; an access token names the same sub.
    user = officers["officer"]
    tokens = token_module.sign_in(emulator.endpoint, emulator.region, emulator.outputs["user_pool_id"],
                                  emulator.outputs["user_pool_client_id"], user["username"], user["password"],
                                  user["totp_secret"])
    assert json.loads(me(client, tokens["AccessToken"]).body)["role"] == "officer"
