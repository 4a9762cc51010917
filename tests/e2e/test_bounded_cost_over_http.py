"""The running stack refuses the costliest inputs an attacker can send, each with a 4xx naming the field, within 2 s:
an adversarial email of 60,000 characters (the body kept under 64 KiB) to signup and sign-in, previews of an
800-vertex comb and a 5,000-vertex drawn polygon, and hostile XML (the billion laughs, external entities and DTDs)
signed by a partner."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.domain.partners import signature_header
from infra.local.token import token_from_state
from tests.cap_messages import HOSTILE
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


@pytest.fixture(scope="module")
def partner(local_stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A partner of the demo force with a signing secret, made with the command-line tool as an admin would."""
    state_file = tmp_path_factory.mktemp("partner") / "state.json"
    state_file.write_text(json.dumps(local_stack))
    partner_id = f"e2e-hostile-{uuid.uuid4().hex[:6]}"

    def admin(*arguments: str) -> Any:
        done = subprocess.run([sys.executable, "-m", "infra.officers", "--state-file", str(state_file), "--user",
                               "demo-admin@hexwatch.example", *arguments], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[2], timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    admin("set-partner", partner_id, "--name", "Hostile test partner", "--type", "other", "--categories", "crime",
          "--channels", "email", "--whole-force")
    secret = admin("add-secret", partner_id)
    return {"id": partner_id, "secret_id": secret["secret_id"], "secret": secret["secret"]}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_quickly_and_harmlessly(local_stack: dict[str, Any], partner: dict[str, str],
                                                       name: str) -> None:
    raw = HOSTILE[name]
    headers = {"Content-Type": "application/cap+xml",
               "Hexwatch-Signature": signature_header(partner["secret_id"], partner["secret"], int(time.time()), raw)}
    started = time.perf_counter()
    response = requests.post(f"{local_stack['site_url']}/v1/partners/{partner['id']}/alerts", data=raw,
                             headers=headers, timeout=TIMEOUT)
    elapsed = time.perf_counter() - started
    print(f"{name}: {response.status_code} in {elapsed * 1000:.0f} ms")
    assert response.status_code == 400, response.text
    assert [error["pointer"] for error in response.json()["errors"]] == ["/"]
    assert "root:" not in response.text  # nothing of /etc/passwd came back
    assert elapsed < LIMIT_SECONDS, name
