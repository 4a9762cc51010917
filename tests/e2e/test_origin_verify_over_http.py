"""The local stack with the API enforcing the origin header, as deployed (`HEXWATCH_ORIGIN_VERIFY=required make run`).

The site server plays CloudFront and adds X-Origin-Verify from the emulator's secret, so the site and the /v1 proxy
work; the Chalice server's own address (`api_direct_url`, API Gateway's execute-api URL in AWS) answers 403. Its own
stack, since the shared `local_stack` runs with enforcement off (docs/local-stack.md).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO_ROOT, STARTUP_TIMEOUT_SECONDS, stack_environment

TIMEOUT = 10


@pytest.fixture(scope="module")
def enforcing_stack() -> Iterator[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="hexwatch-e2e-origin-"))
    state_file = workdir / "stack.json"
    log_path = workdir / "stack.log"
    command = [sys.executable, "-m", "infra.local.run", "--moto-port=0", "--api-port=0", "--site-port=0",
               f"--state-file={state_file}", f"--site-out={workdir / 'site'}"]
    env = {**stack_environment(), "HEXWATCH_ORIGIN_VERIFY": "required"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the local stack did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield json.loads(state_file.read_text())
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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

