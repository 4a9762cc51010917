"""The running stack refuses the costliest inputs an attacker can send, each with a 4xx naming the field, within 2 s:
an adversarial email of 60,000 characters (the body kept under 64 KiB) to signup and sign-in, and previews of an
800-vertex comb and a 5,000-vertex drawn polygon."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from infra.local.token import token_from_state
from tests.security.test_target_cost import comb, drawn_circle

STAFFORD = (52.8066, -2.1167)
TIMEOUT = 30
LIMIT_SECONDS = 2.0
ADVERSARIAL_EMAIL = "a@" + "." * 60000 + " "  # the shape that made the old email pattern quadratic


def timed(method: str, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[Any, float]:
    started = time.perf_counter()
    response = requests.request(method, url, json=body, headers=headers, timeout=TIMEOUT)
    elapsed = time.perf_counter() - started
    print(f"{url.rsplit('/v1', 1)[-1]}: {response.status_code} in {elapsed * 1000:.0f} ms")
    return response, elapsed


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/signup", {"email": ADVERSARIAL_EMAIL, "channels": ["email"], "categories": ["crime"],
                    "locations": [{"label": "Home", "lat": 52.8, "lng": -2.1}], "age_confirmed": True,
                    "consent": True}),
    ("/v1/signin", {"email": ADVERSARIAL_EMAIL}),
])
def test_an_adversarial_email_is_refused_quickly(local_stack: dict[str, Any], path: str, body: dict[str, Any]) -> None:
    assert len(requests.models.complexjson.dumps(body)) < 64 * 1024
    response, elapsed = timed("POST", f"{local_stack['site_url']}{path}", body)
    assert 400 <= response.status_code < 500, response.text
    assert "/email" in [error["pointer"] for error in response.json()["errors"]]
    assert elapsed < LIMIT_SECONDS


@pytest.mark.parametrize(("label", "geometry"), [
    ("800-vertex comb", comb(*STAFFORD, teeth=200, tooth_m=2, gap_m=18, length_m=2000)),
    ("5,000-vertex polygon", drawn_circle(*STAFFORD, 1000, 5000)),
])
def test_a_costly_drawn_target_is_refused_quickly(local_stack: dict[str, Any], label: str,
                                                  geometry: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    body = {"title": "Costly shape", "body": "A drawn area shaped to cost the most it can.", "category": "crime",
            "priority": "normal", "incident_ref": "SP-2026-1", "contact": {"phone": "101"}, "channels": ["email"],
            "target": {"type": "polygon", "geometry": geometry}}
    response, elapsed = timed("POST", f"{local_stack['site_url']}/v1/alerts/preview", body, headers)
    assert 400 <= response.status_code < 500, response.text
    assert all(error["pointer"].startswith("/target") for error in response.json()["errors"]), label
    assert elapsed < LIMIT_SECONDS, label
