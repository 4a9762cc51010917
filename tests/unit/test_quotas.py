"""One settings place sizes delivery to the providers' quotas and drives every timeout (infra/quotas.py)."""

from __future__ import annotations

from typing import Any

import yaml

from chalicelib import config
from infra import quotas
from infra.functions import FED_BY, FUNCTIONS
from infra.local.pump import LambdaContext
from infra.package import RESOURCES, merge_template


def _function(template: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(template["Resources"][name]["Properties"])


def test_the_workers_together_send_no_faster_than_the_account_allows() -> None:
    template = merge_template()
    for channel, quota in quotas.CHANNELS.items():
        function = _function(template, f"Deliver{channel.capitalize()}")
        cap = function["ReservedConcurrentExecutions"]
        scaling = function["Events"][f"Deliver{channel.capitalize()}SqsEventSource"]["Properties"]["ScalingConfig"]
        assert scaling["MaximumConcurrency"] == cap == quota.concurrency >= 2
        per_worker = float(function["Environment"]["Variables"][config.SEND_RATE_ENV])
        assert per_worker * cap <= quota.account_per_second + 1e-9, channel
    assert quotas.SEND_RATE_ENV == config.SEND_RATE_ENV


def test_everything_reserved_leaves_the_account_its_unreserved_hundred() -> None:
    assert sum(function.reserved_concurrency for function in FUNCTIONS) <= 900


def test_one_timeout_drives_the_workers_the_queues_and_the_local_pump() -> None:
    template = merge_template()
    for name in FED_BY:
        assert _function(template, name)["Timeout"] == quotas.WORKER_TIMEOUT_SECONDS, name
    resources = yaml.safe_load(RESOURCES.read_text())["Resources"]
    for name in FED_BY.values():
        assert resources[name]["Properties"]["VisibilityTimeout"] == quotas.VISIBILITY_TIMEOUT_SECONDS, name
    assert quotas.VISIBILITY_TIMEOUT_SECONDS == 6 * quotas.WORKER_TIMEOUT_SECONDS
    assert LambdaContext("deliver_email").timeout_seconds == quotas.WORKER_TIMEOUT_SECONDS
    assert _function(template, "APIHandler")["Timeout"] < 30  # API Gateway's integration limit is 29 s
