"""Fault injection through botocore event hooks, because the emulator never throttles, never fails and never dies.

`FaultInjector` registers on a boto3 session's event system (before the app creates its clients, which copy it):

- `before-call.<service>.<Operation>`: with probability `rate`, answers the call itself with a throttling or 5xx
  error instead of sending it, exactly as botocore would parse AWS's answer (the request never reaches the emulator);
- `after-call.<service>.<Operation>`: once the call `kill_after` has succeeded, raises `WorkerKilled`, a
  BaseException that no `except Exception` catches: the provider has accepted the request, and the worker dies
  before recording it, as a Lambda that runs out of time or memory does.

Counts of what was injected are kept, so that a test can check the faults really happened.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

# (service event name, operation) -> the error codes to answer with, each with its HTTP status.
DEFAULT_TARGETS: dict[tuple[str, str], list[tuple[str, int]]] = {
    ("sesv2", "SendEmail"): [("TooManyRequestsException", 429), ("InternalFailure", 500)],
    ("sesv2", "SendBulkEmail"): [("TooManyRequestsException", 429), ("InternalFailure", 500)],
    ("sns", "Publish"): [("Throttling", 400), ("InternalError", 500)],
    ("dynamodb", "TransactWriteItems"): [("ThrottlingException", 400), ("InternalServerError", 500)],
    ("dynamodb", "BatchWriteItem"): [("ProvisionedThroughputExceededException", 400)],
    ("dynamodb", "UpdateItem"): [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)],
    ("dynamodb", "BatchGetItem"): [("ProvisionedThroughputExceededException", 400)],
}


class WorkerKilled(BaseException):
    """The worker died mid-batch (timeout, out of memory): nothing after this line of the worker runs."""


class FaultInjector:
    def __init__(self, rate: float = 0.1, seed: int = 7,
                 targets: dict[tuple[str, str], list[tuple[str, int]]] | None = None) -> None:
        self.rate = rate
        self.targets = targets if targets is not None else DEFAULT_TARGETS
        self.random = random.Random(seed)
        self.injected: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._kill: tuple[str, str, int] | None = None
        self.killed = 0
        self.enabled = True
        self._outages: dict[tuple[str, str], int] = {}

    def kill_after(self, service: str, operation: str, successful_calls: int) -> None:
        """Dies (once) just after the `successful_calls`-th successful call of this operation."""
        self._kill = (service, operation, successful_calls)

    def outage(self, service: str, operation: str, calls: int) -> None:
        """The next `calls` calls of this operation all fail (a provider that refuses everything for a while)."""
        self._outages[(service, operation)] = calls

    def install(self, session: Any = None, operations: Iterable[tuple[str, str]] | None = None) -> None:
        events = (session or boto3._get_default_session()).events
        for service, operation in operations or self.targets:
            events.register(f"before-call.{service}.{operation}", self._before)
            events.register(f"after-call.{service}.{operation}", self._after)

    def _before(self, model: Any, params: Any, **kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        service = model.service_model.service_name
        key = (service, model.name)
        self.calls[f"{service}.{model.name}"] += 1
        choices = self.targets.get(key)
        outage = self._outages.get(key, 0)
        if outage:
            self._outages[key] = outage - 1
        elif not self.enabled or not choices or self.random.random() >= self.rate:
            return None
        choices = choices or [("ServiceUnavailable", 503)]
        code, status = self.random.choice(choices)
        self.injected[f"{service}.{model.name}:{code}"] += 1
        parsed = {"Error": {"Code": code, "Message": "injected fault"},
                  "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "injected"}}
        return AWSResponse("https://injected.invalid", status, {}, None), parsed

    def _after(self, model: Any, http_response: Any, parsed: Any, **kwargs: Any) -> None:
        if self._kill is None or http_response is None or getattr(http_response, "status_code", 500) >= 300:
            return
        service, operation, after = self._kill
        if (model.service_model.service_name, model.name) != (service, operation):
            return
        after -= 1
        self._kill = (service, operation, after)
        if after == 0:
            self._kill = None
            self.killed += 1
            raise WorkerKilled(f"killed after {service}.{operation}")

    def total_injected(self) -> int:
        return sum(self.injected.values())
