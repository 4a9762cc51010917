"""Fan-out benchmark: one alert to 10,000 residents through the whole pipeline on the emulator.

    .venv/bin/python -m bench.fanout [--recipients 10000] [--baseline 1000] [--write-docs]

The real app (plan → shard → ledger → release → delivery workers) runs on the embedded emulator with the production
adapters: SESv2 `SendBulkEmail` (50 recipients a call) and SNS `Publish` for SMS. The emulator lacks SendBulkEmail,
so that call is answered in-process by a botocore hook with SES's own response shape; everything else (DynamoDB,
SQS, SNS) is the emulator. Every AWS call is counted and timed through botocore event hooks (on the default session, on
Powertools' idempotency client, and PynamoDB's connection, which have sessions of their own), so the figures
split into:

- time from the send request to the first provider call, and the whole run;
- API calls per 1,000 recipients, by service and operation (goals: at most 21 SES calls and 12 SQS messages);
- the delivery workers' CPU per recipient: the CPU time of the worker's thread, which leaves out waiting for the
  emulator (a separate process) and SMS pacing. It is split into the SDK's part (everything inside botocore's client
  calls, for our clients, PynamoDB's and Powertools': validating, serialising, signing, HTTP, parsing) and our own
  code, the rest (goal: at least 5,000 recipients a second for one worker).

The baseline, in the same process: the naive fan-out (one SendEmail per recipient, guarded by a Powertools
idempotency record per recipient, i.e. a put and an update each), on `--baseline` recipients.
Peak memory (max RSS) is the workers' process; the emulator runs in a process of its own.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

import boto3  # noqa: E402
import pynamodb.connection.base as pynamodb_base  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402
from botocore.client import BaseClient  # noqa: E402

from bench.docs_section import write_section  # noqa: E402
from infra.local import emulator, stack  # noqa: E402

PROVIDER_OPERATIONS = {("sesv2", "SendBulkEmail"), ("sns", "Publish"), ("pinpoint-sms-voice-v2", "SendVoiceMessage")}
CENTRE = (52.8066, -2.1167)


class CallMeter:
    """Counts and times every AWS call; answers SendBulkEmail in-process (the emulator lacks it)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.sqs_messages = 0
        self.seconds_in_calls = 0.0
        # CPU of this thread inside botocore's client calls (validating, serialising, signing, HTTP, parsing), for
        # every client (ours, PynamoDB's, Powertools'): what the delivery workers' figure is split by.
        self.sdk_cpu = 0.0
        self.first_provider_call: float | None = None
        self._started: dict[int, float] = {}

    def install(self, events: Any = None) -> None:
        """Hooks the default session (whose events every new client copies), or one client's `events`."""
        first = events is None
        events = events or boto3._get_default_session().events
        events.register("before-call.*.*", self._before)
        events.register("after-call.*.*", self._after)
        if not first:
            return
        original = pynamodb_base.Connection._make_api_call
        meter = self

        def timed(connection: Any, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
            meter.calls[f"dynamodb.{operation_name} (PynamoDB)"] += 1
            started = time.perf_counter()
            try:
                return original(connection, operation_name, operation_kwargs)
            finally:
                meter.seconds_in_calls += time.perf_counter() - started

        pynamodb_base.Connection._make_api_call = timed  # type: ignore[method-assign]
        client_call = BaseClient._make_api_call

        def sdk_timed(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            cpu_started = time.thread_time()
            try:
                return client_call(client, operation_name, api_params)
            finally:
                meter.sdk_cpu += time.thread_time() - cpu_started

        BaseClient._make_api_call = sdk_timed  # type: ignore[method-assign]

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> Any:
        service, operation = model.service_model.service_name, model.name
        self.calls[f"{service}.{operation}"] += 1
        body = _request_body(params)
        if service == "sqs" and operation == "SendMessage":
            self.sqs_messages += 1
        elif service == "sqs" and operation == "SendMessageBatch":
            self.sqs_messages += len(body.get("Entries", []))
        if (service, operation) in PROVIDER_OPERATIONS and self.first_provider_call is None:
            self.first_provider_call = time.perf_counter()
        self._started[id(context)] = time.perf_counter()
        if (service, operation) == ("sesv2", "SendBulkEmail"):
            entries = body.get("BulkEmailEntries", [])
            parsed = {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId": uuid.uuid4().hex}
                                                for _ in entries],
                      "ResponseMetadata": {"HTTPStatusCode": 200}}
            self.seconds_in_calls += time.perf_counter() - self._started.pop(id(context))
            return AWSResponse("https://in-process.invalid", 200, {}, None), parsed
        return None

    def _after(self, model: Any, context: dict[str, Any], **kwargs: Any) -> None:
        started = self._started.pop(id(context), None)
        if started is not None:
            self.seconds_in_calls += time.perf_counter() - started


EMULATOR_PROCESS = """
import sys, time
sys.path.insert(0, {root!r})
from infra.local.emulator import start_emulator
start_emulator({port})
while True:
    time.sleep(3600)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection(("localhost", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the emulator did not start")


def _request_body(request: dict[str, Any]) -> dict[str, Any]:
    """The API parameters of a serialized JSON or REST-JSON request (what before-call sees)."""
    try:
        return dict(json.loads(request.get("body") or b"{}"))
    except (ValueError, TypeError):
        return {}


def load_residents(count: int, sms_every: int = 10) -> None:
    """Verified residents within 3 km of Stafford, written with batch writes (the signup path is not measured)."""
    import math
    import random

    from chalicelib.adapters.models import LocationModel, SubscriberModel
    from chalicelib.adapters.residents_store import _location_items, _to_model
    from chalicelib.bootstrap import services
    from chalicelib.domain.contacts import ContactKind
    from chalicelib.domain.geo import location_key
    from chalicelib.domain.residents import ACTIVE, Consent, ContactRecord, Location, Resident

    hasher = services().hasher
    rng = random.Random(2026)
    now = "2026-11-22T00:00:00Z"
    with SubscriberModel.batch_write() as subscribers, LocationModel.batch_write() as locations:
        for index in range(count):
            distance, bearing = 2900 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            lat = CENTRE[0] + distance * math.cos(bearing) / 111_320
            lng = CENTRE[1] + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(CENTRE[0])))
            email = hasher.email(f"bench-{index:06d}@hexwatch.example")
            contacts = [ContactRecord(ContactKind.EMAIL.value, email.address, email.hash, now)]
            channels = ["email"]
            if index % sms_every == 0:
                mobile = hasher.mobile(f"+44740{index % 10**7:07d}".replace("99", "98"))
                contacts.append(ContactRecord(ContactKind.MOBILE.value, mobile.address, mobile.hash, now))
                channels.append("sms")
            key = location_key(lat, lng)
            resident = Resident(id=f"01BENCH{index:019d}", status=ACTIVE, language="en", channels=channels,
                                categories=["crime"], business_sectors=[], groups=[],
                                locations=[Location("L1", "Home", lat, lng, "point", key.partition, key.point_cell)],
                                contacts=contacts, consent=Consent("bench", now), created_at=now, updated_at=now)
            subscribers.save(_to_model(resident))
            for item in _location_items(resident):
                locations.save(item)


def drain(app: Any, prefix: str, meter: CallMeter, worker_seconds: dict[str, float],
          sdk_seconds: dict[str, float], failures: Counter[str],
          largest: dict[str, tuple[float, str]] | None = None) -> None:
    """Runs every alert queue through the app's handlers, one message per invocation, until all are empty."""
    from chalicelib import config
    from infra.local.pump import LambdaContext, sqs_record

    functions = {config.TARGETING_QUEUE: "target_alerts",
                 **{queue: f"deliver_{channel}" for channel, queue in config.DELIVERY_QUEUES.items()}}
    sqs = boto3.client("sqs")
    urls = {suffix: sqs.get_queue_url(QueueName=f"{prefix}-{suffix}")["QueueUrl"] for suffix in functions}
    idle_rounds = 0
    while idle_rounds < 3:
        handled = 0
        for suffix, name in functions.items():
            # One receive per queue per round, as Lambda's pollers take from every queue at once: a delivery
            # message queued by the first shard piece goes out before the last piece is read.
            messages = sqs.receive_message(QueueUrl=urls[suffix], MaxNumberOfMessages=10,
                                           WaitTimeSeconds=0).get("Messages", [])
            for message in messages:
                handled += 1
                event = {"Records": [sqs_record(message, f"arn:aws:sqs:eu-west-2:123456789012:{prefix}-{suffix}")]}
                # CPU time of this thread: our code, the SDK's serialising and parsing, and nothing of the time
                # spent waiting for the emulator or pacing SMS.
                started, sdk_before = time.thread_time(), meter.sdk_cpu
                calls_before = sum(meter.calls.values())
                result = app.handler_map[name](event, LambdaContext(name, timeout_seconds=900))
                worker_seconds[name] += time.thread_time() - started
                if largest is not None:
                    # The one message that did the most: its AWS requests and its CPU, each with its function.
                    calls = sum(meter.calls.values()) - calls_before
                    cpu = time.thread_time() - started
                    if calls > largest.get("calls", (0, ""))[0]:
                        largest["calls"] = (calls, name)
                    if cpu > largest.get("cpu", (0.0, ""))[0]:
                        largest["cpu"] = (cpu, name)
                sdk_seconds[name] += meter.sdk_cpu - sdk_before
                if (result or {}).get("batchItemFailures"):
                    # As Lambda would, the message comes back (here at once); the worker logged why.
                    failures[name] += 1
                    sqs.change_message_visibility(QueueUrl=urls[suffix], ReceiptHandle=message["ReceiptHandle"],
                                                  VisibilityTimeout=0)
                    continue
                sqs.delete_message(QueueUrl=urls[suffix], ReceiptHandle=message["ReceiptHandle"])
        idle_rounds = idle_rounds + 1 if not handled else 0
        if not handled:
            time.sleep(0.2)


def baseline(count: int, meter: CallMeter) -> dict[str, Any]:
    """The naive fan-out: per recipient, a Powertools-style idempotency record (put, then update) and a SendEmail."""
    from chalicelib import config
    from chalicelib.adapters.messaging import SesEmailSender
    from chalicelib.domain.messages import RenderedEmail

    ddb, sender = boto3.client("dynamodb"), SesEmailSender(boto3.client("sesv2"), os.environ["HEXWATCH_SENDER_EMAIL"])
    table = config.resource_name(config.IDEMPOTENCY_TABLE)
    email = RenderedEmail("Alert: bench", "Text of the alert. Ref 123. Contact 101.", "<p>Text</p>", {})
    before_calls, sdk_before = Counter(meter.calls), meter.sdk_cpu
    started, cpu_started = time.perf_counter(), time.thread_time()
    for index in range(count):
        key = {"id": {"S": f"baseline#{index}"}}
        ddb.put_item(TableName=table, Item={**key, "status": {"S": "INPROGRESS"}},
                     ConditionExpression="attribute_not_exists(id)")
        sender.send(f"baseline-{index:06d}@hexwatch.example", email)
        ddb.update_item(TableName=table, Key=key, UpdateExpression="SET #s = :s",
                        ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "DONE"}})
    wall = time.perf_counter() - started
    own = time.thread_time() - cpu_started
    calls = meter.calls - before_calls
    return {"recipients": count, "calls": calls, "own_seconds": own, "wall_seconds": wall,
            "sdk_seconds": meter.sdk_cpu - sdk_before}


def per_thousand(count: int, recipients: int) -> float:
    return count * 1000 / max(1, recipients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--write-docs", action="store_true", help="replace the figures in docs/performance.md")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger().setLevel(logging.WARNING)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    # As chalice.json sets it for every deployed function: without it, the hundredth metric of a warm worker fails
    # to serialise and fails its message.
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Hexwatch")
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    warnings.filterwarnings("ignore")
    # The emulator runs in its own process: in this one it would share the GIL with the workers and blur the line
    # between time in our code and time waiting for "AWS".
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", EMULATOR_PROCESS.format(root=str(ROOT), port=port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://{emulator.HOST}:{port}"
    _wait_for(port)
    emulator.apply_aws_env(endpoint)
    outputs = stack.deploy(endpoint, "fanout", "alerts@hexwatch.example")
    os.environ.update(stack.app_env(outputs, "http://localhost:8080"))
    os.environ["HEXWATCH_BULK_EMAIL"] = "sesv2-bulk"  # the production adapter, answered in-process
    os.environ["HEXWATCH_SEND_LIMITS"] = json.dumps({"max_sms": 10**9, "max_voice": 10**9, "max_cost_pence": 10**9})

    from chalicelib import bootstrap
    from chalicelib.domain.officers import Officer, Role

    bootstrap.reset()
    started = time.perf_counter()
    load_residents(args.recipients)
    print(f"loaded {args.recipients:,} residents in {time.perf_counter() - started:.0f} s", flush=True)

    meter = CallMeter()
    meter.install()
    bootstrap.reset()  # the app's clients are made again, after the hooks are on the session they copy
    # Powertools' idempotency layer makes its client from a session of its own: its calls are counted too.
    meter.install(bootstrap.services().idempotency.client.meta.events)
    sys.path.insert(0, str(ROOT / "functions"))
    from app import app

    from infra.local.demo import seed_demo_areas

    seed_demo_areas()  # the force's boundary: a force without one cannot send
    officer = Officer("bench-supervisor", "bench", "staffordshire", Role.SUPERVISOR, whole_organisation=True)
    body = {"title": "Bench alert for the whole town", "category": "crime", "priority": "normal",
            "body": "Please lock your doors and windows tonight: there have been burglaries nearby.",
            "incident_ref": "BENCH-1", "contact": {"phone": "101"}, "channels": ["email", "sms"],
            "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 3000}}
    service = bootstrap.alert_service()
    alert = service.create(officer, body)
    meter.calls.clear()
    meter.sqs_messages = 0
    meter.seconds_in_calls = 0.0
    sent_at = time.perf_counter()
    service.send(officer, alert["id"])
    worker_seconds: dict[str, float] = defaultdict(float)
    sdk_seconds: dict[str, float] = defaultdict(float)
    failures: Counter[str] = Counter()
    largest: dict[str, tuple[float, str]] = {}
    drain(app, "fanout", meter, worker_seconds, sdk_seconds, failures, largest)
    total = time.perf_counter() - sent_at
    shown = service.read(officer, alert["id"])
    delivered = sum(p["sent"] for p in shown["progress"].values())
    emails = shown["progress"]["email"]["sent"]
    print(json.dumps(shown["progress"]), flush=True)
    first = (meter.first_provider_call or sent_at) - sent_at
    calls = Counter(meter.calls)
    sqs_messages = meter.sqs_messages
    deliver_own = sum(v for k, v in worker_seconds.items() if k.startswith("deliver_"))
    deliver_sdk = sum(v for k, v in sdk_seconds.items() if k.startswith("deliver_"))
    target_own = worker_seconds.get("target_alerts", 0.0)

    naive = baseline(args.baseline, meter)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ses = sum(v for k, v in calls.items() if k.startswith("sesv2."))
    naive_ses = sum(v for k, v in naive["calls"].items() if k.startswith("sesv2."))
    ddb = sum(v for k, v in calls.items() if k.startswith("dynamodb."))
    naive_ddb = sum(v for k, v in naive["calls"].items() if k.startswith("dynamodb."))
    ours_rate = delivered / max(deliver_own, 1e-9)
    naive_rate = naive["recipients"] / max(naive["own_seconds"], 1e-9)
    ours_only = delivered / max(deliver_own - deliver_sdk, 1e-9)
    naive_only = naive["recipients"] / max(naive["own_seconds"] - naive["sdk_seconds"], 1e-9)
    lines = [
        f"Alert to {args.recipients:,} residents in a 3 km circle (every one by email, every tenth also by SMS): "
        f"{delivered:,} messages sent ({emails:,} emails), status `{shown['status']}`.",
        "",
        "| measure | Hexwatch | naive baseline | ratio |",
        "|---|---|---|---|",
        f"| send → first provider call | {first * 1000:,.0f} ms | | |",
        f"| send → all sent (emulator, one worker at a time) | {total:,.1f} s | | |",
        f"| SES calls per 1,000 emails | {per_thousand(ses, emails):,.1f} | "
        f"{per_thousand(naive_ses, naive['recipients']):,.0f} | "
        f"{per_thousand(naive_ses, naive['recipients']) / max(per_thousand(ses, emails), 1e-9):,.0f}x fewer |",
        f"| SQS messages per 1,000 recipients | {per_thousand(sqs_messages, delivered):,.1f} | 0 | |",
        f"| DynamoDB calls per 1,000 recipients | {per_thousand(ddb, delivered):,.1f} | "
        f"{per_thousand(naive_ddb, naive['recipients']):,.0f} | "
        f"{per_thousand(naive_ddb, naive['recipients']) / max(per_thousand(ddb, delivered), 1e-9):,.1f}x fewer |",
        f"| delivery workers' CPU, our code and the SDK, recipients/s | {ours_rate:,.0f} | {naive_rate:,.0f} | "
        f"{ours_rate / max(naive_rate, 1e-9):,.1f}x |",
        f"| of which our own code only (SDK calls left out), recipients/s | {ours_only:,.0f} | {naive_only:,.0f} | "
        f"{ours_only / max(naive_only, 1e-9):,.1f}x |",
        f"| SDK CPU (validate, serialise, sign, HTTP, parse) per 1,000 recipients | "
        f"{deliver_sdk * 1_000_000 / max(1, delivered):,.0f} ms | "
        f"{naive['sdk_seconds'] * 1_000_000 / max(1, naive['recipients']):,.0f} ms | |",
        f"| own code in targeting (plan, shards, release) | {target_own:,.2f} s | | |",
        f"| largest message: AWS requests (store: emulator; {largest['calls'][1]}) | {largest['calls'][0]:,.0f} | | "
        "|",
        f"| largest message: CPU (store: emulator; {largest['cpu'][1]}) | {largest['cpu'][0] * 1000:,.0f} ms | | |",
        f"| peak memory of the workers' process | {peak_mb:,.0f} MB | | |",
        f"| messages failed and retried | {sum(failures.values()):,} | | |",
        "",
        "Calls by operation (Hexwatch): " + ", ".join(f"{k} {v:,}" for k, v in sorted(calls.items())) + ".",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        text += (f"\n\nReproduce: `.venv/bin/python -m bench.fanout --recipients {args.recipients} --baseline "
                 f"{args.baseline} --write-docs` (2 cores). SendBulkEmail is answered in-process; DynamoDB, SQS and "
                 "SNS are the emulator, whose times say little about AWS: the counts are what AWS would see.")
        write_section("bench.fanout", text, "## Fan-out: one alert to many residents (`bench/fanout.py`)")
    server.terminate()


if __name__ == "__main__":
    main()
