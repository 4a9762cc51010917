"""The local stack enforces the origin header as deployed (infra/local/run.py sets HEXWATCH_ORIGIN_VERIFY=required).

The site server plays CloudFront and adds X-Origin-Verify from the emulator's secret, so the site and the /v1 proxy
work; the Chalice server's own address (`api_direct_url`, API Gateway's execute-api URL in AWS) answers 403. The
shared session stack is the enforcing one (tests/conftest.py, `local_stack`).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

TIMEOUT = 10


@pytest.fixture(scope="module")
def enforcing_stack(local_stack: dict[str, Any]) -> dict[str, Any]:
    return local_stack


def test_the_api_answers_through_the_site_origin(enforcing_stack: dict[str, Any]) -> None:
    response = requests.get(f"{enforcing_stack['site_url']}/v1/reference", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_apis_own_address_refuses_callers_that_went_around_the_site(enforcing_stack: dict[str, Any]) -> None:
    direct = enforcing_stack["api_direct_url"]
    assert direct and direct != enforcing_stack["site_url"]
    response = requests.get(f"{direct}/v1/reference", timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.json()["errors"] == [{"pointer": "", "message": "requests must come through the site"}]
    guessed = requests.get(f"{direct}/v1/reference", headers={"X-Origin-Verify": "guess"}, timeout=TIMEOUT)
    assert guessed.status_code == 403


def test_a_signup_through_the_site_works_with_enforcement_on(enforcing_stack: dict[str, Any]) -> None:
    site = enforcing_stack["site_url"]
    response = requests.post(f"{site}/v1/signin", json={"email": "nobody-yet@example.org"},
                             headers={"Origin": site, "Sec-Fetch-Site": "same-origin"}, timeout=TIMEOUT)
    assert response.status_code == 202, response.text

