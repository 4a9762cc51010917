"""Fault injection through botocore event hooks, because the emulator never throttles, never fails and never dies;
and the bench that counts, under those faults, what residents lost and what they got twice.

    .venv/bin/python -m bench.faults [--recipients 10000] [--rate 0.1] [--seed 7] [--write-docs]

`FaultInjector` registers on a boto3 session's event system (before the app creates its clients, which copy it):

- `before-call.<service>.<Operation>`: with probability `rate`, answers the call itself with a throttling or 5xx
  error instead of sending it, exactly as botocore would parse AWS's answer (the request never reaches the emulator);
  `outage()` makes a run of consecutive calls fail (a provider refusing everything for a while);
- `after-call.<service>.<Operation>`: once the call `kill_after` has succeeded, raises `WorkerKilled`, a
  BaseException that no `except Exception` catches: the provider has accepted the request, and the worker dies
  before recording it, as a Lambda that runs out of time or memory does. Several operations may each have a kill.

Counts of what was injected are kept, so that a test can check the faults really happened.

The bench (`main`): one alert to `--recipients` residents (every one by email, every fourth also by SMS) through the
real pipeline on the emulator, driven through the app's own queue handlers as Lambda would (plan, shard, release,
deliver), with the production email adapter (SESv2 `SendBulkEmail`, 50 recipients a call). The emulator lacks
SendBulkEmail, so that call is answered in-process, and what it accepted is handed on to the emulator's SES after the
invocation (one `SendEmail` per bulk call, to the same addresses); SMS is the emulator's SNS. Faults: `--rate` of
SES, SNS and DynamoDB calls fail; a burst of consecutive throttles on SES and on SNS part-way through; one worker
dies just after a successful SendBulkEmail and another just after a successful Publish. Claims go stale after 1 s
(HEXWATCH_CLAIM_TIMEOUT_SECONDS), so what the dead workers had claimed is settled within the run. The queues are driven
until nothing is left, then every (resident, channel) is counted against the ledger and against what the emulator's
SES and SNS received:

- lost: no provider call reached the resident, and the ledger does not say unconfirmed or failed (sent without a
  copy, or still queued or claimed, or no ledger entry at all);
- duplicated: the provider received the resident's message more than once;
- unconfirmed: what the ledger lists for an operator to check (the dead workers' claims).

Goals: 0 lost, 0 duplicated, unconfirmed at most one provider call's worth per killed worker (50 emails, 1 SMS).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
import os
import random
import sys
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from bench.docs_section import write_section

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Under faults: lost, duplicates and unconfirmed (`bench/faults.py`)"
BEFORE_HEADING = "## Reach: may this officer send here?"  # the section is written just before this one
CENTRE = (52.8066, -2.1167)
SENDER = "alerts@hexwatch.example"
# One provider call's worth: what a worker killed just after a provider call may leave unconfirmed (the goal).
UNCONFIRMED_PER_KILL = {"email": 50, "sms": 1}
KILLS = {"email": ("sesv2", "SendBulkEmail"), "sms": ("sns", "Publish")}

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


@dataclass
class _Outage:
    skip: int  # calls that pass (or meet the random faults) before the outage starts
    calls: int  # consecutive calls refused once it has started
    code: str | None  # the one error code of the outage; None: the operation's codes at random


class FaultInjector:
    def __init__(self, rate: float = 0.1, seed: int = 7,
                 targets: dict[tuple[str, str], list[tuple[str, int]]] | None = None) -> None:
        self.rate = rate
        self.targets = targets if targets is not None else DEFAULT_TARGETS
        self.random = random.Random(seed)
        self.injected: Counter[str] = Counter()
        self.in_outages: Counter[str] = Counter()  # of `injected`, those of an outage
        self.calls: Counter[str] = Counter()
        self._kills: dict[tuple[str, str], int] = {}
        self.killed = 0
        self.killed_by: Counter[str] = Counter()  # "service.Operation" -> workers killed after it
        self.enabled = True
        self._outages: dict[tuple[str, str], _Outage] = {}
        self._installed: list[tuple[Any, str, Any]] = []

    def kill_after(self, service: str, operation: str, successful_calls: int) -> None:
        """Dies (once) just after the `successful_calls`-th successful call of this operation from now."""
        self._kills[(service, operation)] = successful_calls

    def outage(self, service: str, operation: str, calls: int, after: int = 0, code: str | None = None) -> None:
        """The `calls` calls of this operation that follow the next `after` all fail (a provider that refuses
        everything for a while), each with `code` (one of the operation's codes), or with its codes at random."""
        self._outages[(service, operation)] = _Outage(after, calls, code)

    def install(self, session: Any = None, operations: Iterable[tuple[str, str]] | None = None) -> None:
        events = (session or boto3._get_default_session()).events
        for service, operation in operations or self.targets:
            for stage, handler in (("before-call", self._before), ("after-call", self._after)):
                name = f"{stage}.{service}.{operation}"
                events.register(name, handler)
                self._installed.append((events, name, handler))

    def uninstall(self) -> None:
        """Takes the hooks off again (clients made while they were on keep them: make those again)."""
        for events, name, handler in self._installed:
            events.unregister(name, handler)
        self._installed.clear()

    def _before(self, model: Any, params: Any, **kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        service = model.service_model.service_name
        key = (service, model.name)
        self.calls[f"{service}.{model.name}"] += 1
        choices = self.targets.get(key)
        outage = self._outages.get(key)
        in_outage = False
        if outage is not None:
            if outage.skip:
                outage.skip -= 1
            elif outage.calls:
                outage.calls -= 1
                in_outage = True
        if not in_outage and (not self.enabled or not choices or self.random.random() >= self.rate):
            return None
        choices = choices or [("ServiceUnavailable", 503)]
        fixed = [choice for choice in choices if outage is not None and in_outage and choice[0] == outage.code]
        code, status = fixed[0] if fixed else self.random.choice(choices)
        self.injected[f"{service}.{model.name}:{code}"] += 1
        if in_outage:
            self.in_outages[f"{service}.{model.name}:{code}"] += 1
        parsed = {"Error": {"Code": code, "Message": "injected fault"},
                  "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "injected"}}
        return AWSResponse("https://injected.invalid", status, {}, None), parsed

    def _after(self, model: Any, http_response: Any, parsed: Any, **kwargs: Any) -> None:
        if not self._kills or http_response is None or getattr(http_response, "status_code", 500) >= 300:
            return
        key = (model.service_model.service_name, model.name)
        if key not in self._kills:
            return
        self._kills[key] -= 1
        if self._kills[key] <= 0:
            del self._kills[key]
            self.killed += 1
            self.killed_by[f"{key[0]}.{key[1]}"] += 1
            raise WorkerKilled(f"killed after {key[0]}.{key[1]}")

    def total_injected(self) -> int:
        return sum(self.injected.values())


# --- the bench ----------------------------------------------------------------------------------------------------


class BulkEmailProvider:
    """SESv2 `SendBulkEmail`, answered in-process (the emulator lacks it): every entry accepted.

    What it accepted is handed on to the emulator's SES by `flush()`, outside the worker (one `SendEmail` per bulk
    call, to the same addresses, through a client of a session of its own, which no hook reaches), so that the copies
    are counted where the SMS are: in what the emulator received.
    """

    def __init__(self, endpoint: str, sender: str) -> None:
        self.sender = sender
        self.calls = 0
        self.pending: list[tuple[str, str, list[str]]] = []
        self.client = boto3.session.Session().client("sesv2", endpoint_url=endpoint)
        self._events: Any = None

    def install(self) -> None:
        # Registered after the FaultInjector, so that an injected fault answers first.
        self._events = boto3._get_default_session().events
        self._events.register("before-call.sesv2.SendBulkEmail", self._answer)

    def uninstall(self) -> None:
        if self._events is not None:
            self._events.unregister("before-call.sesv2.SendBulkEmail", self._answer)

    def _answer(self, model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
        body = json.loads(params.get("body") or b"{}")
        entries = body.get("BulkEmailEntries", [])
        template = body.get("DefaultContent", {}).get("Template", {}).get("TemplateContent", {})
        addresses = [address for entry in entries for address in entry["Destination"]["ToAddresses"]]
        self.pending.append((str(template.get("Subject") or "alert"), str(template.get("Text") or ""), addresses))
        self.calls += 1
        parsed = {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId": uuid.uuid4().hex} for _ in entries],
                  "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse("https://in-process.invalid", 200, {}, None), parsed

    def flush(self) -> None:
        while self.pending:
            subject, text, addresses = self.pending.pop(0)
            self.client.send_email(FromEmailAddress=self.sender, Destination={"ToAddresses": addresses},
                                   Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}})


@dataclass
class FaultResult:
    """The figures of one run (what the table shows)."""

    recipients: int
    deliveries: int  # (resident, channel) pairs the alert should reach
    by_channel: dict[str, int]
    sent: int  # per the ledger
    received: int  # (resident, channel) pairs the provider received at least once
    provider_messages: int  # copies the providers received, in all
    lost: int
    duplicated: int
    unconfirmed: dict[str, int]
    unconfirmed_received: int  # of the unconfirmed, those the provider did receive
    failed: int
    states: dict[str, int]  # the ledger's statuses
    injected: dict[str, int]
    in_outages: dict[str, int]
    killed: dict[str, int]  # channel -> workers killed just after a provider call
    invocations: int
    failed_invocations: int
    crashed: list[str]  # invocations that raised rather than report a batch item failure
    dead_letters: dict[str, int]  # queue -> messages in its dead-letter queue
    settled: bool
    alert_status: str
    seconds: float
    rate: float
    seed: int
    examples: dict[str, list[str]] = field(default_factory=dict)  # a few lost or duplicated ledger keys

    @property
    def unconfirmed_bound(self) -> dict[str, int]:
        return {channel: UNCONFIRMED_PER_KILL[channel] * self.killed.get(channel, 0) for channel in KILLS}

    @property
    def unconfirmed_within_bound(self) -> bool:
        return all(self.unconfirmed.get(channel, 0) <= bound for channel, bound in self.unconfirmed_bound.items())

    @property
    def goal_met(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.unconfirmed_within_bound and self.settled \
            and not self.dead_letters


def load_residents(count: int, run: str) -> dict[str, tuple[str, str]]:
    """Verified residents within 2.9 km of Stafford (every one by email, every fourth also by SMS), written with
    batch writes (the signup path is not measured). Answers address -> (resident id, channel)."""
    from chalicelib.adapters.models import LocationModel, SubscriberModel
    from chalicelib.adapters.residents_store import _location_items, _to_model
    from chalicelib.bootstrap import services
    from chalicelib.domain.contacts import ContactKind
    from chalicelib.domain.geo import location_key
    from chalicelib.domain.residents import ACTIVE, Consent, ContactRecord, Location, Resident

    hasher = services().hasher
    rng = random.Random(2026)
    now = "2026-11-22T00:00:00Z"
    addresses: dict[str, tuple[str, str]] = {}
    with SubscriberModel.batch_write() as subscribers, LocationModel.batch_write() as locations:
        for index in range(count):
            distance, bearing = 2900 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            lat = CENTRE[0] + distance * math.cos(bearing) / 111_320
            lng = CENTRE[1] + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(CENTRE[0])))
            resident_id = f"01FAULT{run}{index:013d}"
            email = hasher.email(f"faults-{run}-{index:07d}@hexwatch.example")
            contacts = [ContactRecord(ContactKind.EMAIL.value, email.address, email.hash, now)]
            channels = ["email"]
            addresses[email.address] = (resident_id, "email")
            if index % 4 == 0:
                # Unique, and never ending in 99 (the emulator's SNS treats those numbers as opted out).
                mobile = hasher.mobile(f"+4475{index:07d}1")
                contacts.append(ContactRecord(ContactKind.MOBILE.value, mobile.address, mobile.hash, now))
                channels.append("sms")
                addresses[mobile.address] = (resident_id, "sms")
            key = location_key(lat, lng)
            resident = Resident(id=resident_id, status=ACTIVE, language="en", channels=channels,
                                categories=["crime"], business_sectors=[], groups=[],
                                locations=[Location("L1", "Home", lat, lng, "point", key.partition, key.point_cell)],
                                contacts=contacts, consent=Consent("bench", now), created_at=now, updated_at=now)
            subscribers.save(_to_model(resident))
            for item in _location_items(resident):
                locations.save(item)
    return addresses


class Driver:
    """Runs the alert queues through the app's handlers, one message per invocation, as Lambda would: a failed
    message comes back at once, a killed invocation's message after its visibility timeout (by then the dead
    invocation's idempotency record, which lasts the invocation's timeout, has expired too)."""

    def __init__(self, app: Any, prefix: str, provider: BulkEmailProvider, worker_timeout: float) -> None:
        from chalicelib import config

        self.app = app
        self.prefix = prefix
        self.provider = provider
        self.timeout = worker_timeout
        self.functions = {config.TARGETING_QUEUE: "target_alerts",
                          **{queue: f"deliver_{channel}" for channel, queue in config.DELIVERY_QUEUES.items()}}
        self.sqs = boto3.client("sqs")
        self.urls = {suffix: self.sqs.get_queue_url(QueueName=f"{prefix}-{suffix}")["QueueUrl"]
                     for suffix in self.functions}
        self.invocations = 0
        self.failed = 0
        self.killed: Counter[str] = Counter()  # function -> invocations killed
        self.crashed: list[str] = []  # invocations that raised (not a batch item failure): what they raised

    def run(self, deadline: float) -> bool:
        """True once every queue is empty (nothing visible, delayed or in flight); False at the deadline."""
        while time.monotonic() < deadline:
            if not sum(self._queue(suffix, deadline) for suffix in self.functions):
                if not self.waiting():
                    return True
                time.sleep(0.5)  # delayed retries and dead invocations' messages are not visible yet
        return False

    def _queue(self, suffix: str, deadline: float) -> int:
        from infra.local.pump import LambdaContext, sqs_record

        url, name = self.urls[suffix], self.functions[suffix]
        arn = f"arn:aws:sqs:eu-west-2:123456789012:{self.prefix}-{suffix}"
        handled = 0
        while time.monotonic() < deadline:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                AttributeNames=["All"]).get("Messages", [])
            if not messages:
                break
            for message in messages:
                handled += 1
                self.invocations += 1
                event = {"Records": [sqs_record(message, arn)]}
                try:
                    result = self.app.handler_map[name](event, LambdaContext(name, timeout_seconds=self.timeout))
                except WorkerKilled:
                    self.killed[name] += 1
                    self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=math.ceil(self.timeout) + 1)
                    continue
                except Exception as error:  # a crashed invocation: Lambda retries the whole message
                    self.crashed.append(f"{name}: {type(error).__name__}: {error}"[:300])
                    result = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
                finally:
                    self.provider.flush()  # what SES accepted reaches the emulator, outside the worker
                if (result or {}).get("batchItemFailures"):
                    self.failed += 1
                    self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=0)
                else:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return handled

    def waiting(self) -> int:
        total = 0
        for url in self.urls.values():
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed",
                                              "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessages"])
            total += sum(int(v) for v in attributes["Attributes"].values())
        return total

    def dead_letters(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for suffix in self.functions:
            url = self.sqs.get_queue_url(QueueName=f"{self.prefix}-{suffix}-dlq")["QueueUrl"]
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            if int(attributes["Attributes"]["ApproximateNumberOfMessages"]):
                found[suffix] = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        return found


def run(recipients: int, rate: float, seed: int, endpoint: str, prefix: str, *, outage: int = 20,
        worker_timeout: float = 5.0, max_minutes: float = 90.0, sender: str | None = None) -> FaultResult:
    """One alert to `recipients` residents under faults, on the stack already deployed at `endpoint`/`prefix` (the
    HEXWATCH_* variables point at it)."""
    os.environ["HEXWATCH_CLAIM_TIMEOUT_SECONDS"] = "1"  # claims of a dead worker go stale within the run
    os.environ["HEXWATCH_BULK_EMAIL"] = "sesv2-bulk"  # the production adapter, answered in-process
    os.environ["HEXWATCH_SEND_LIMITS"] = json.dumps({"max_sms": 10**9, "max_voice": 10**9, "max_cost_pence": 10**9})
    sys.path[:0] = [path for path in (str(ROOT / "functions"), str(ROOT)) if path not in sys.path]

    from chalicelib import bootstrap, config
    from chalicelib.adapters.ledger import DeliveryLedger
    from chalicelib.domain.audience import ledger_key
    from chalicelib.domain.officers import Officer, Role
    from infra.local.demo import seed_demo_areas
    from infra.local.outbox import list_messages

    bootstrap.reset()
    run_tag = uuid.uuid4().hex[:6].upper()
    started = time.perf_counter()
    addresses = load_residents(recipients, run_tag)
    print(f"loaded {recipients:,} residents in {time.perf_counter() - started:.0f} s", flush=True)
    seed_demo_areas()  # the force's boundary: a force without one cannot send
    officer = Officer("faults-supervisor", "faults", "staffordshire", Role.SUPERVISOR, whole_organisation=True)
    body = {"title": "Bench alert under faults", "category": "crime", "priority": "normal",
            "body": "Please lock your doors and windows tonight: there have been burglaries nearby.",
            "incident_ref": "FAULTS-1", "contact": {"phone": "101"}, "channels": ["email", "sms"],
            "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 3000}}
    service = bootstrap.alert_service()
    alert = service.create(officer, body)
    sent_at = time.perf_counter()
    service.send(officer, alert["id"])

    emails, sms = recipients, len(range(0, recipients, 4))
    faults = FaultInjector(rate=rate, seed=seed)
    faults.install()
    provider = BulkEmailProvider(endpoint, sender or os.environ.get("HEXWATCH_SENDER_EMAIL", SENDER))
    provider.install()
    # One worker dies just after a third of the bulk email calls, another after a third of the SMS.
    faults.kill_after(*KILLS["email"], max(1, math.ceil(emails / 50) // 3))
    faults.kill_after(*KILLS["sms"], max(1, sms // 3))
    # A burst of throttling half-way through each provider's calls, longer than the in-worker retries last.
    faults.outage("sesv2", "SendBulkEmail", outage, after=max(1, math.ceil(emails / 50) // 2),
                  code="TooManyRequestsException")
    faults.outage("sns", "Publish", outage, after=max(1, sms // 2), code="Throttling")
    bootstrap.reset()  # the app's clients are made again, after the hooks are on the session they copy
    from app import app

    driver = Driver(app, prefix, provider, worker_timeout)
    try:
        settled = driver.run(time.monotonic() + max_minutes * 60)
    finally:
        faults.uninstall()
        provider.uninstall()
        provider.flush()
        bootstrap.reset()
    seconds = time.perf_counter() - sent_at

    # The ledger read through its own API (one entry per key), as the workers read it.
    expected = set(addresses.values())
    keys = {ledger_key(channel, resident_id): (resident_id, channel) for resident_id, channel in expected}
    found = DeliveryLedger(boto3.client("dynamodb"), config.resource_name(config.DELIVERIES_TABLE, prefix)) \
        .entries(alert["id"], sorted(keys))
    ledger = {keys[key]: entry for key, entry in found.items() if key in keys}
    copies: Counter[tuple[str, str]] = Counter()
    messages = 0
    for message in list_messages(endpoint, prefix):
        for address in set(message.get("to") or []):
            target = addresses.get(address)
            if target is not None and target[1] == message["channel"]:
                copies[target] += 1
                messages += 1
    lost = [pair for pair in expected if not copies[pair]
            and (pair not in ledger or ledger[pair].status not in ("unconfirmed", "failed"))]
    duplicated = [pair for pair in expected if copies[pair] > 1]
    states = Counter(str(e.status) for e in ledger.values())
    unconfirmed = Counter(channel for (_, channel), e in ledger.items() if e.status == "unconfirmed")
    shown = service.read(officer, alert["id"])
    return FaultResult(
        recipients=recipients, deliveries=len(expected),
        by_channel=dict(Counter(channel for _, channel in expected)),
        sent=states["sent"], received=sum(1 for pair in expected if copies[pair]), provider_messages=messages,
        lost=len(lost), duplicated=len(duplicated),
        unconfirmed={channel: unconfirmed.get(channel, 0) for channel in KILLS},
        unconfirmed_received=sum(1 for pair, e in ledger.items() if e.status == "unconfirmed" and copies[pair]),
        failed=states["failed"], states=dict(states), injected=dict(faults.injected),
        in_outages=dict(faults.in_outages),
        killed={channel: faults.killed_by.get(f"{service_name}.{operation}", 0)
                for channel, (service_name, operation) in KILLS.items()},
        invocations=driver.invocations, failed_invocations=driver.failed, crashed=driver.crashed,
        dead_letters=driver.dead_letters(),
        settled=settled, alert_status=str(shown["status"]), seconds=seconds, rate=rate, seed=seed,
        examples={"lost": sorted(f"{p[1]}#{p[0]} ({ledger[p].status if p in ledger else 'no entry'})"
                                 for p in lost)[:5],
                  "duplicated": sorted(f"{p[1]}#{p[0]}" for p in duplicated)[:5]})


def table(result: FaultResult) -> str:
    def goal(ok: bool) -> str:
        return "met" if ok else "**not met**"

    bound = result.unconfirmed_bound
    injected = ", ".join(f"{kind} {count:,}" for kind, count in sorted(result.injected.items())) or "none"
    bursts = ", ".join(f"{kind} {count:,}" for kind, count in sorted(result.in_outages.items())) or "none"
    lines = [
        f"One alert to {result.recipients:,} residents (every one by email, every fourth also by SMS: "
        f"{result.deliveries:,} deliveries) with {result.rate:.0%} of SES, SNS and DynamoDB calls failing "
        f"(seed {result.seed}), a burst of throttling on SES and on SNS, and a worker killed just after a provider "
        f"call on each channel. Alert status at the end: `{result.alert_status}`"
        f"{'' if result.settled else ' (the queues had not settled at the time limit)'}.",
        "",
        "| measure | figure | goal |",
        "|---|---|---|",
        f"| recipients (deliveries: email, SMS) | {result.recipients:,} ({result.by_channel.get('email', 0):,}, "
        f"{result.by_channel.get('sms', 0):,}) | |",
        f"| delivered: sent per the ledger | {result.sent:,} | |",
        f"| delivered: received by the provider (SES, SNS on the emulator; copies in all) | {result.received:,} "
        f"({result.provider_messages:,}) | |",
        f"| **lost** (no provider call, and not listed unconfirmed or failed) | **{result.lost:,}** | 0: "
        f"{goal(result.lost == 0)} |",
        f"| **duplicated** (the provider received it more than once) | **{result.duplicated:,}** | 0: "
        f"{goal(result.duplicated == 0)} |",
        f"| **unconfirmed** (email, SMS; of which the provider did receive) | **{result.unconfirmed['email']:,}, "
        f"{result.unconfirmed['sms']:,}** ({result.unconfirmed_received:,}) | ≤ {bound['email']:,}, "
        f"{bound['sms']:,}: {goal(result.unconfirmed_within_bound)} |",
        f"| failed (recorded as failed) | {result.failed:,} | |",
        f"| ledger statuses | {', '.join(f'{k} {v:,}' for k, v in sorted(result.states.items()))} | |",
        f"| faults injected | {sum(result.injected.values()):,} | |",
        f"| workers killed just after a provider call (email, SMS) | {result.killed['email']}, "
        f"{result.killed['sms']} | |",
        f"| invocations (failed and retried, of which raised; messages dead-lettered) | {result.invocations:,} "
        f"({result.failed_invocations:,}, {len(result.crashed):,}; {sum(result.dead_letters.values()):,}) | |",
        f"| send → all settled (emulator, one worker at a time) | {result.seconds:,.1f} s | |",
        "",
        f"Faults injected by kind: {injected}. Of them, in the throttling bursts: {bursts}.",
        "",
        "Goal (0 lost, 0 duplicated, unconfirmed ≤ 50 emails and 1 SMS per killed worker, every queue settled, "
        f"nothing dead-lettered): {goal(result.goal_met) if not result.goal_met else '**met**'}.",
    ]
    return "\n".join(lines)


def write_docs(text: str, command: str) -> None:
    text += (f"\n\nReproduce: `{command}` (2 cores). SendBulkEmail is answered in-process and what it accepted is "
             "handed on to the emulator's SES; DynamoDB, SQS and SNS are the emulator. Faults are injected through "
             "botocore event hooks (`FaultInjector`); claims go stale after 1 s (HEXWATCH_CLAIM_TIMEOUT_SECONDS) and "
             "the workers' timeout is 5 s, so that the dead workers' recipients are settled within the run.")
    write_section("bench.faults", text, HEADING, before=BEFORE_HEADING)


def main(argv: list[str] | None = None, outputs: dict[str, Any] | None = None) -> FaultResult:
    """Runs the bench and prints its table. With `outputs` (a stack already deployed, the HEXWATCH_* variables
    pointing at it, as the integration tests' `fresh_stack` does) it runs there; else on an emulator of its own."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=0.1, help="share of SES, SNS and DynamoDB calls that fail")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--outage", type=int, default=20,
                        help="consecutive SES and SNS calls throttled in a burst (the in-worker retries make 4)")
    parser.add_argument("--max-minutes", type=float, default=90.0, help="give up driving the queues after this")
    parser.add_argument("--app-log", help="file for the app's own log lines (default: dropped)")
    parser.add_argument("--write-docs", action="store_true", help="write the figures into docs/performance.md")
    args = parser.parse_args(argv)

    from infra.local import emulator, stack

    own = None
    if outputs is None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger().setLevel(logging.WARNING)
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Hexwatch")
        os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
        warnings.filterwarnings("ignore")
        # In this process: infra/local/outbox.py reads what SES and SNS received from the emulator's own models.
        own = emulator.start_emulator(0)
        emulator.apply_aws_env(own.endpoint)
        outputs = stack.deploy(own.endpoint, "faults", SENDER)
        os.environ.update(stack.app_env(outputs, "http://localhost:8080"))
    sys.path[:0] = [path for path in (str(ROOT / "functions"), str(ROOT)) if path not in sys.path]
    from chalicelib.observability import logger

    # The workers log every injected fault they meet: to a file, or nowhere, not over the table.
    handler = logger.registered_handler
    sink = open(args.app_log, "a", encoding="utf-8") if args.app_log else io.StringIO()  # noqa: SIM115
    previous = handler.setStream(sink)  # type: ignore[attr-defined]
    try:
        result = run(args.recipients, args.rate, args.seed, str(outputs["endpoint"]), str(outputs["prefix"]),
                     outage=args.outage, max_minutes=args.max_minutes,
                     sender=str(outputs.get("sender_email") or SENDER))
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
        sink.close()
        if own is not None:
            own.stop()
    text = table(result)
    print(text, flush=True)
    if result.dead_letters:
        print(f"dead-lettered: {json.dumps(result.dead_letters)}", flush=True)
    if result.examples.get("lost") or result.examples.get("duplicated"):
        print(f"examples: {json.dumps(result.examples)}", flush=True)
    for crash in result.crashed[:5]:
        print(f"raised: {crash}", flush=True)
    if args.write_docs:
        command = f".venv/bin/python -m bench.faults --recipients {args.recipients}"
        command += "" if args.rate == 0.1 else f" --rate {args.rate}"
        command += "" if args.seed == 7 else f" --seed {args.seed}"
        write_docs(text, command + " --write-docs")
    return result


if __name__ == "__main__":
    main()
