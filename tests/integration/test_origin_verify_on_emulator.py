"""The real app with the emulator's origin-verify secret: 403 without the header when enforced, and per-IP limits that
count CloudFront's viewer address only when the header proves the request came through CloudFront."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator

import boto3
import pytest

from chalicelib import bootstrap, config
from infra.local.testing import EmulatorStack

from .residents_helpers import ResidentApi, make_api

SIGNIN_IP_LIMIT = 2


def origin_value(emulator: EmulatorStack, prefix: str) -> str:
    manager = boto3.client("secretsmanager", endpoint_url=emulator.endpoint, region_name=emulator.region)
    secret = manager.get_secret_value(SecretId=config.resource_name(config.ORIGIN_VERIFY_SECRET, prefix))
    return str(json.loads(secret["SecretString"])["value"])


def fresh_viewer() -> str:
    """An address (and port) no other test has counted against: the stack's counters are shared."""
    return f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}:{random.randrange(1024, 65536)}"


@pytest.fixture
def limited(emulator: EmulatorStack) -> Iterator[tuple[ResidentApi, str]]:
    """The resident API whose sign-in allows SIGNIN_IP_LIMIT requests per address."""
    os.environ["HEXWATCH_RATE_LIMITS"] = json.dumps({"signin.ip": [SIGNIN_IP_LIMIT, 3600],
                                                     "signin.contact": [100_000, 3600]})
    try:
        yield make_api(emulator.prefix), emulator.prefix
    finally:
        os.environ.pop("HEXWATCH_RATE_LIMITS", None)
        os.environ.pop(config.ORIGIN_VERIFY_ENV, None)
        bootstrap.reset()


def signin(api: ResidentApi, n: int, headers: dict[str, str]) -> int:
    response = api.client.http.post("/v1/signin", headers={"Content-Type": "application/json", **headers},
                                    body=json.dumps({"email": f"resident{n}@example.org"}).encode())
    return int(response.status_code)


def test_when_enforced_the_api_refuses_requests_without_the_header(emulator: EmulatorStack,
                                                                   limited: tuple[ResidentApi, str]) -> None:
    api, prefix = limited
    os.environ[config.ORIGIN_VERIFY_ENV] = "required"
    refused = api.client.http.get("/v1/reference")
    assert refused.status_code == 403
    assert json.loads(refused.body)["errors"] == [{"pointer": "", "message": "requests must come through the site"}]
    wrong = api.client.http.get("/v1/reference", headers={"X-Origin-Verify": "not-the-secret"})
    assert wrong.status_code == 403
    right = api.client.http.get("/v1/reference", headers={"X-Origin-Verify": origin_value(emulator, prefix)})
    assert right.status_code == 200


def test_per_ip_limits_count_the_viewer_address_from_cloudfront(emulator: EmulatorStack,
                                                                limited: tuple[ResidentApi, str]) -> None:
    api, prefix = limited
    os.environ[config.ORIGIN_VERIFY_ENV] = "required"
    secret = origin_value(emulator, prefix)
    viewer, other = fresh_viewer(), fresh_viewer()
    first = {"X-Origin-Verify": secret, "CloudFront-Viewer-Address": viewer}
    second = {"X-Origin-Verify": secret, "CloudFront-Viewer-Address": other}
    # Every request reaches the API from one address (CloudFront's, here 127.0.0.1); each viewer has its own limit.
    assert [signin(api, n, first) for n in range(SIGNIN_IP_LIMIT + 1)] == [202] * SIGNIN_IP_LIMIT + [429]
    assert signin(api, 10, second) == 202
    # Another port of the same viewer is the same viewer.
    same_viewer = viewer.rpartition(":")[0] + ":51515"
    assert signin(api, 11, {**first, "CloudFront-Viewer-Address": same_viewer}) == 429


def test_a_spoofed_viewer_address_does_not_escape_the_limit(limited: tuple[ResidentApi, str]) -> None:
    api, _ = limited  # enforcement off, as in the local stack by default: requests pass, claims are not believed
    answers = [signin(api, n, {"X-Origin-Verify": "a guess", "CloudFront-Viewer-Address": fresh_viewer()})
               for n in range(SIGNIN_IP_LIMIT + 1)]
    # Were the claims believed, each fresh address would have a limit of its own and none would be refused. All are
    # counted against the one source address instead (which other tests may already have counted against).
    assert answers[-1] == 429
    assert set(answers[answers.index(429):]) == {429}
