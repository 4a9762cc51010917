"""Integration fixtures: one moto server per session with infra/resources.yaml deployed (prefix `itest`).

The app reads its settings from the environment, so the fixture sets os.environ for the whole session (and restores
it at the end) rather than monkeypatching per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.local import emulator as emulator_module
from infra.local import stack
from infra.local.run import apply_stage_environment, chalice_config
from infra.local.testing import EmulatorStack

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
