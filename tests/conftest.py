"""Fixtures shared across tiers.

- `local_stack`: the whole local stack (`python -m infra.local.run`) in a subprocess on free ports, shared by tests/e2e
  and tests/browser: one stack per test session.
- `emulator` and `fresh_stack`: one moto server per session with infra/resources.yaml deployed, for
  tests/integration and tests/security.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local import emulator as emulator_module
from infra.local import stack
from infra.local.run import apply_stage_environment, chalice_config
from infra.local.testing import EmulatorStack
from tests import aws_calls

# Before any botocore session exists (none is made on import): the least-privilege proof records every AWS call the
# functions make, in every tier (tests/security/test_least_privilege.py).
aws_calls.install()

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    # Where the local stack's process writes the AWS calls it records (tests/aws_calls.py), for the proof.
    os.environ.setdefault(aws_calls.CALLS_DIR_ENV, tempfile.mkdtemp(prefix="hexwatch-aws-calls-"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The least-privilege proof checks the calls that every other test made, so it runs after all of them.
    items.sort(key=lambda item: item.get_closest_marker("after_all_other_tests") is not None)
STARTUP_TIMEOUT_SECONDS = 60


# Every test reaches the stack from 127.0.0.1, so the per-IP limits (meant for one person) would trip; the per-contact
# limits stay as they are in production.
GENEROUS_IP_LIMITS = {"signup.ip": [100_000, 3600], "verify.ip": [100_000, 3600], "signin.ip": [100_000, 3600]}


def stack_environment() -> dict[str, str]:
    # The origin header is enforced as deployed, whatever the developer's shell says (tests/e2e/test_origin_verify...).
    return {**os.environ, "HEXWATCH_RATE_LIMITS": json.dumps(GENEROUS_IP_LIMITS), "HEXWATCH_ORIGIN_VERIFY": "required"}


@pytest.fixture(scope="session")
def local_stack() -> Iterator[dict[str, Any]]:
    """The parsed state file: site_url, api_url, outbox_url, endpoint, prefix, user_pool_id, users, ..."""
    workdir = Path(tempfile.mkdtemp(prefix="hexwatch-e2e-"))
    state_file = workdir / "stack.json"
    log_path = workdir / "stack.log"
    command = [
        sys.executable,
        "-m",
        "tests.aws_calls",  # runs the stack with the call recorder installed (tests/iam_proof.py reads its calls)
        "infra.local.run",
        "--moto-port=0",
        "--api-port=0",
        "--site-port=0",
        f"--state-file={state_file}",
        f"--site-out={workdir / 'site'}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=stack_environment(), stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not state_file.exists():
            if process.poll() is not None:
                pytest.fail(f"the local stack exited with {process.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no state file after {STARTUP_TIMEOUT_SECONDS} s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield json.loads(state_file.read_text())
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    # On a failing e2e test, show what the stack logged: most failures are explained there.
    outcome = yield
    report = outcome.get_result()
    if report.failed and "local_stack" in getattr(item, "fixturenames", ()):
        logs = sorted(Path(tempfile.gettempdir()).glob("hexwatch-e2e-*/stack.log"), key=lambda p: p.stat().st_mtime)
        if logs:
            report.sections.append(("local stack log", logs[-1].read_text(errors="replace")[-20000:]))


# --- the emulator with infra/resources.yaml deployed: tests/integration and tests/security (prefix `itest`).
# The app reads its settings from the environment, so the fixture sets os.environ for the whole session (and
# restores it at the end) rather than monkeypatching per test.

SENDER = "alerts@hexwatch.example"
SITE_URL = "http://localhost:8080"


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorStack]:
    saved = dict(os.environ)
    emu = emulator_module.start_emulator(0)
    try:
        emulator_module.apply_aws_env(emu.endpoint)
        outputs = stack.deploy(emu.endpoint, "itest", SENDER)
        os.environ.update(stack.app_env(outputs, SITE_URL))
        apply_stage_environment(chalice_config("local"))
        yield EmulatorStack(endpoint=emu.endpoint, prefix="itest", region=emulator_module.REGION, outputs=outputs)
    finally:
        emu.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def fresh_stack(emulator: EmulatorStack) -> Iterator[Callable[..., dict[str, Any]]]:
    """Deploy another copy of the template (empty tables, queues, pool) under a new prefix.

    `fresh_stack()` picks a unique prefix; `fresh_stack("myprefix")` names it. With `activate=True` (the default) the
    HEXWATCH_* variables point at the new stack until the test ends.
    """
    saved = {name: value for name, value in os.environ.items() if name.startswith("HEXWATCH_")}

    def deploy(prefix: str | None = None, activate: bool = True) -> dict[str, Any]:
        outputs = stack.deploy(emulator.endpoint, prefix or f"t{uuid.uuid4().hex[:12]}", SENDER)
        if activate:
            os.environ.update(stack.app_env(outputs, SITE_URL))
        return outputs

    yield deploy
    for name in [name for name in os.environ if name.startswith("HEXWATCH_")]:
        del os.environ[name]
    os.environ.update(saved)
