"""Shared by the alert integration tests: officers with real emulator tokens, residents placed exactly where a test
wants them, and a pump that runs the targeting and delivery queues through the app's own handlers, as Lambda would."""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from chalice.test import Client

from bench.faults import WorkerKilled
from chalicelib import bootstrap, config
from chalicelib.adapters.messaging import SnsPushRegistry
from chalicelib.domain.contacts import ContactKind
from chalicelib.domain.geo import location_key
from chalicelib.domain.residents import ACTIVE, Consent, ContactRecord, Device, Location, Resident
from chalicelib.services.residents import iso
from infra.local import seed
from infra.local import stack as infra_stack
from infra.local.demo import seed_demo_areas
from infra.local.outbox import list_messages
from infra.local.pump import LambdaContext, sqs_record
from infra.local.token import id_token

from .residents_helpers import unique_mobile

FUNCTIONS_DIR = str(Path(__file__).parents[2] / "functions")
STAFFORD = (52.8066, -2.1167)
QUEUE_FUNCTIONS = {config.TARGETING_QUEUE: "target_alerts", config.DELIVERY_QUEUES["email"]: "deliver_email",
                   config.DELIVERY_QUEUES["sms"]: "deliver_sms", config.DELIVERY_QUEUES["voice"]: "deliver_voice",
                   config.DELIVERY_QUEUES["push"]: "deliver_push"}


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / 111_320, lng + east_m / (111_320 * math.cos(math.radians(lat))))


def alert_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Burglaries in Stafford town centre",
        "body": "Several homes were broken into overnight near the market square. Please lock doors and windows.",
        "category": "crime", "priority": "high", "incident_ref": "SP-2026-1234",
        "contact": {"phone": "101", "url": "https://www.staffordshire.police.uk"},
        "target": {"type": "circle", "center": {"lat": STAFFORD[0], "lng": STAFFORD[1]}, "radius_m": 1000},
        "channels": ["email", "sms", "voice", "push"],
    }
    body.update(overrides)
    return body


class AlertStack:
    """The app behind a Chalice test client on a fresh emulator stack, with the demo force's officers and areas."""

    def __init__(self, client: Client, outputs: dict[str, Any], tokens: dict[str, str], app: Any) -> None:
        self.client = client
        self.app = app
        self.timeout = 60.0  # the Lambda timeout handed to workers (their idempotency claims last as long)
        self.outputs = outputs
        self.prefix = str(outputs["prefix"])
        self.tokens = tokens
        self.sqs = boto3.client("sqs")
        self.invocations: list[dict[str, Any]] = []

    def call(self, method: str, path: str, role: str = "officer", body: Any = None,
             token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.tokens[role]}", "Content-Type": "application/json"}
        data = json.dumps(body).encode() if body is not None else b""
        return getattr(self.client.http, method.lower())(path, body=data, headers=headers) \
            if method != "GET" else self.client.http.get(path, headers=headers)

    def create(self, role: str = "officer", **overrides: Any) -> dict[str, Any]:
        response = self.call("POST", "/v1/alerts", role, alert_body(**overrides))
        assert response.status_code == 201, response.body
        return dict(json.loads(response.body))

    def resident(self, lat: float, lng: float, channels: list[str], categories: list[str] | None = None,
                 groups: list[str] | None = None, language: str = "en",
                 senders: list[str] | None = None) -> Resident:
        """A verified resident at exactly this point, written through the app's own store."""
        wired = bootstrap.services()
        now = iso(time.time())
        tag = uuid.uuid4().hex[:10]
        resident_id = f"01T{uuid.uuid4().int % 10**23:023d}"
        contacts = []
        if "email" in channels:
            contact = wired.hasher.email(f"resident-{tag}@hexwatch.example")
            contacts.append(ContactRecord(ContactKind.EMAIL.value, contact.address, contact.hash, now))
        if {"sms", "voice"} & set(channels):
            contact = wired.hasher.mobile(unique_mobile())
            contacts.append(ContactRecord(ContactKind.MOBILE.value, contact.address, contact.hash, now))
        devices = []
        if "push" in channels:
            platforms = dict(self.outputs.get("push_platforms") or {})
            arn = SnsPushRegistry(boto3.client("sns"), platforms).register("fcm", f"token-{tag}", resident_id)
            devices.append(Device(f"D{tag}", "fcm", f"token-{tag}", arn, "Phone", now))
        key = location_key(lat, lng)
        resident = Resident(
            id=resident_id, status=ACTIVE, language=language, channels=channels,
            categories=categories or ["crime"], business_sectors=[], groups=groups or [],
            locations=[Location("L1", "Home", lat, lng, "point", key.partition, key.point_cell)],
            contacts=contacts, consent=Consent("test", now), created_at=now, updated_at=now, devices=devices,
            senders=senders or [])
        wired.store.create(resident)
        wired.store.save(resident, None)
        return resident

    def queue_url(self, suffix: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=f"{self.prefix}-{suffix}")["QueueUrl"])

    def run_queue(self, suffix: str, before_invoke: Callable[[dict[str, Any]], None] | None = None) -> int:
        """Hands every visible message of one queue to its handler, one message per invocation; returns how many."""
        url = self.queue_url(suffix)
        arn = f"arn:aws:sqs:eu-west-2:123456789012:{self.prefix}-{suffix}"
        handled = 0
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                AttributeNames=["All"]).get("Messages", [])
            if not messages:
                return handled
            for message in messages:
                handled += 1
                event = {"Records": [sqs_record(message, arn)]}
                if before_invoke:
                    before_invoke(event)
                name = {**QUEUE_FUNCTIONS, config.TRANSACTIONAL_QUEUE: "send_transactional",
                        config.WEBHOOK_QUEUE: "deliver_webhooks"}[suffix]
                try:
                    result = self.app.handler_map[name](event, LambdaContext(name, timeout_seconds=self.timeout))
                except WorkerKilled:
                    # The invocation died: Lambda gives the message back after its visibility timeout. By then the
                    # idempotency record's in-progress claim (the invocation's timeout) has expired too.
                    self.invocations.append({"queue": suffix, "killed": True})
                    time.sleep(self.timeout + 0.5)
                    self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=0)
                    continue
                failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
                self.invocations.append({"queue": suffix, "failed": bool(failed)})
                if failed:
                    # As Lambda would: the message comes back, here at once rather than after the timeout.
                    self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=0)
                else:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def pump(self, rounds: int = 30) -> None:
        """Runs every alert queue until all are empty (a failing message is retried each round)."""
        for _ in range(rounds):
            if not sum(self.run_queue(suffix) for suffix in QUEUE_FUNCTIONS):
                if not self.waiting():
                    return
                time.sleep(1)  # delayed retries are not visible yet
        raise AssertionError("the alert queues never emptied")

    def waiting(self) -> int:
        """Messages not yet handled: delayed, in flight, or visible. Visible ones count too, because a delay can end
        between the pump's last receive and this look, and the pump must not stop with that message unhandled."""
        total = 0
        for suffix in QUEUE_FUNCTIONS:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url(suffix),
                AttributeNames=["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible",
                                "ApproximateNumberOfMessages"])
            total += sum(int(v) for v in attributes["Attributes"].values())
        return total

    def dead_letters(self) -> int:
        total = 0
        for suffix in QUEUE_FUNCTIONS:
            attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url(f"{suffix}-dlq"),
                                                       AttributeNames=["ApproximateNumberOfMessages"])
            total += int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        return total

    def outbox_for(self, residents: list[Resident]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """What each resident received, by channel (their email, mobile, or push device)."""
        messages = list_messages(prefix=self.prefix)
        received: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for resident in residents:
            addresses = {c.address for c in resident.contacts}
            received[resident.id] = {}
            for message in messages:
                targets = set(message.get("to") or [])
                if targets & addresses or resident.id in targets:
                    received[resident.id].setdefault(message["channel"], []).append(message)
        return received


def alert_stack(emulator: Any, fresh_stack: Callable[..., dict[str, Any]]) -> tuple[AlertStack, Client]:
    outputs = fresh_stack()
    # A loaded CI machine can take longer than the production budget (2 s) to count even a small circle on the
    # emulator; tests that want the 202 path set the budget to 0 themselves.
    os.environ[config.PREVIEW_BUDGET_ENV] = "120"
    users = seed.seed_officers(outputs["user_pool_id"], endpoint=emulator.endpoint)
    bootstrap.reset()
    seed_demo_areas()
    from app import app

    tokens = {user["role"]: id_token(emulator.endpoint, emulator.region, outputs["user_pool_id"],
                                     outputs["user_pool_client_id"], user["username"], user["password"],
                                     totp_secret=user["totp_secret"])
              for user in users}
    client = Client(app, stage_name="local", project_dir=FUNCTIONS_DIR)
    return AlertStack(client, outputs, tokens, app), client


def serving_alert_stack(emulator: Any, fresh_stack: Callable[..., dict[str, Any]]) -> Iterator[AlertStack]:
    """The body of a test's `stack` fixture (`yield from serving_alert_stack(...)`): a fresh alert stack served by its
    test client, and the wiring forgotten afterwards."""
    alerts, client = alert_stack(emulator, fresh_stack)
    with client:
        yield alerts
    bootstrap.reset()


@contextmanager
def module_alert_stack(emulator: Any, sender: str, site_url: str) -> Iterator[AlertStack]:
    """One alert stack for a whole test module (`fresh_stack` deploys one per test), on a prefix of its own; the
    HEXWATCH_* variables are put back afterwards."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("HEXWATCH_")}

    def deploy() -> dict[str, Any]:
        outputs = infra_stack.deploy(emulator.endpoint, f"t{uuid.uuid4().hex[:12]}", sender)
        os.environ.update(infra_stack.app_env(outputs, site_url))
        return outputs

    alerts, client = alert_stack(emulator, deploy)
    try:
        with client:
            yield alerts
    finally:
        bootstrap.reset()
        for name in [name for name in os.environ if name.startswith("HEXWATCH_")]:
            del os.environ[name]
        os.environ.update(saved)
