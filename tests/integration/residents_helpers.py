"""Shared by the resident API integration tests: a Chalice test client on the emulator, and the transactional pump."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from chalice.test import Client

from chalicelib import bootstrap
from infra.local.outbox import list_messages
from infra.local.pump import sqs_record

FUNCTIONS_DIR = "functions"
EMAIL_CLIENT_HEADERS = {"Content-Type": "application/json"}


def unique_email() -> str:
    return f"resident-{uuid.uuid4().hex[:10]}@example.org"


# The emulator keeps every SMS of the test session in one list, whichever stack sent it, and the tests find a
# resident's messages by their number: two residents given the same number anywhere in the session would each seem
# to have received the other's message. Numbers come from one counter, from a random start (another session's
# emulator may still be running), so that none is handed out twice in a session.
_MOBILES = itertools.count(random.randrange(5_000_000))


def unique_mobile() -> str:
    """A valid UK mobile number no other resident of this test session has. Never ending in 99: moto treats those as
    opted out."""
    while (number := f"+44740{next(_MOBILES) % 10**7:07d}").endswith("99"):
        pass
    return number


def signup_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"email": unique_email(), "channels": ["email"], "categories": ["crime"],
                            "groups": ["farm"], "locations": [{"label": "Home", "lat": 52.8066, "lng": -2.1167}],
                            "age_confirmed": True, "consent": True}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


class ResidentApi:
    def __init__(self, client: Client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.sqs = boto3.client("sqs")

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.http.post(path, headers={**EMAIL_CLIENT_HEADERS, **(headers or {})}, body=raw)

    def request(self, method: str, path: str, session: str | None = None, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if session:
            headers["Authorization"] = f"Bearer {session}"
        raw = b"" if body is None else json.dumps(body).encode()
        return self.client.http.request(method, path, headers=headers, body=raw)

    def queued_jobs(self) -> list[dict[str, Any]]:
        url = self.sqs.get_queue_url(QueueName=f"{self.prefix}-transactional")["QueueUrl"]
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                             AttributeNames=["All"]).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)

    def deliver(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Hands queued jobs to the worker exactly as Lambda's SQS event source would, and acknowledges successes."""
        url = self.sqs.get_queue_url(QueueName=f"{self.prefix}-transactional")["QueueUrl"]
        arn = f"arn:aws:sqs:eu-west-2:123456789012:{self.prefix}-transactional"
        event = {"Records": [sqs_record(m, arn) for m in messages]}
        result = self.client.lambda_.invoke("send_transactional", event).payload
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return result or {}

    def pump(self) -> None:
        jobs = self.queued_jobs()
        for start in range(0, len(jobs), 10):
            self.deliver(jobs[start:start + 10])

    def messages_to(self, address: str, channel: str | None = None) -> list[dict[str, Any]]:
        return [m for m in list_messages(prefix=self.prefix)
                if address in (m.get("to") or []) or m.get("to") == address
                if channel is None or m["channel"] == channel]

    def link_from(self, address: str, page: str) -> str:
        for message in self.messages_to(address, "email"):
            for link in message["links"]:
                if f"/{page}?" in link:
                    return str(link)
        raise AssertionError(f"no email to {address} links to {page}")

    def token_from(self, address: str, page: str) -> str:
        return re.search(r"token=([^&\s]+)", self.link_from(address, page)).group(1)  # type: ignore[union-attr]

    def code_sent_to(self, number: str, channel: str = "sms") -> str:
        """The newest 6-digit code texted (or, with channel "voice", read by a call) to the number."""
        for message in sorted(self.messages_to(number, channel), key=lambda m: str(m.get("sent_at")), reverse=True):
            if match := re.search(r"\b(\d{6})\b", message["text"]):
                return match.group(1)
        raise AssertionError(f"no code sent to {number}")

    def signed_up_and_verified(self, **overrides: Any) -> tuple[dict[str, Any], str]:
        body = signup_body(**overrides)
        assert self.post("/v1/signup", body).status_code == 202
        self.pump()
        response = self.post("/v1/verify", {"token": self.token_from(body["email"], "verify.html")})
        assert response.status_code == 200, response.body
        self.pump()
        return body, json.loads(response.body)["session"]


def make_api(prefix: str) -> ResidentApi:
    bootstrap.reset()
    from app import app

    return ResidentApi(Client(app, stage_name="local", project_dir=FUNCTIONS_DIR), prefix)


# Tests sign up many residents from one address, so the per-IP and per-contact limits (meant for one person) would
# trip; a test of a limit sets its own.
GENEROUS_RATE_LIMITS = json.dumps({rule: [100_000, 3600] for rule in
                                   ("signup.ip", "signup.contact", "verify.ip", "verify.contact", "signin.ip",
                                    "signin.contact")})


@contextmanager
def generous_resident_api(fresh_stack: Callable[..., dict[str, Any]],
                          also_restore: Iterable[str] = ()) -> Iterator[ResidentApi]:
    """The resident API on a fresh stack with generous rate limits; afterwards those limits and the variables named in
    `also_restore` are dropped, and the wiring forgotten."""
    outputs = fresh_stack()
    os.environ["HEXWATCH_RATE_LIMITS"] = GENEROUS_RATE_LIMITS
    try:
        yield make_api(outputs["prefix"])
    finally:
        for name in ("HEXWATCH_RATE_LIMITS", *also_restore):
            os.environ.pop(name, None)
        bootstrap.reset()
