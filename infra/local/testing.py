"""Types shared by the integration fixtures (tests/integration/conftest.py) and the tests that use them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class EmulatorStack:
    """A running emulator with one deployed stack; `outputs` is what `infra.local.stack.deploy` returned."""

    endpoint: str
    prefix: str
    region: str
    outputs: dict[str, Any]
