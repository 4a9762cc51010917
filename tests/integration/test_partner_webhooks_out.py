"""Partners' outbound webhooks on the emulator, delivered to a real HTTP receiver on this machine: a public alert
going out and an officer's decision reach the subscribed partner, signed with its secret; failures are retried and
finally dead-lettered, redirects are not followed, and every address that is not public is refused, at registration
and again at delivery. The partner reads how each delivery went."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib import bootstrap, config
from chalicelib.domain.partners import SigningSecret, signature_header, verify

from .alert_helpers import STAFFORD, AlertStack, alert_stack, offset
from .test_partner_webhook import PartnerClient, council_alert, errors, register


class Receiver:
    """A partner's webhook endpoint: records each POST and answers with what the test says."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answer = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.answer)
                if receiver.answer in (301, 302, 307):
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()


@pytest.fixture
def stack(emulator, fresh_stack, receiver, monkeypatch) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(config.WEBHOOK_TEST_RECEIVERS_ENV, receiver.origin)
    alerts, client = alert_stack(emulator, fresh_stack)
    with client:
        yield alerts
    bootstrap.reset()


def subscribe(stack: AlertStack, url: str, events: list[str], **overrides: Any) -> PartnerClient:
    return register(stack, webhook={"url": url, "events": events}, **overrides)


def run_webhooks(stack: AlertStack) -> None:
    """Fan-outs and deliveries, as the DeliverWebhooks function would take them (one message per invocation)."""
    stack.run_queue(config.WEBHOOK_QUEUE)


def deliveries(partner: PartnerClient) -> list[dict[str, Any]]:
    path = f"/v1/partners/{partner.partner_id}/webhook-deliveries"
    response = partner.stack.client.http.get(path, headers={
        "Hexwatch-Signature": signature_header(partner.secret_id, partner.secret, int(time.time()), path.encode())})
    assert response.status_code == 200, response.body
    return list(json.loads(response.body)["deliveries"])


def test_a_public_alert_and_a_decision_reach_the_subscribed_partner_signed(stack: AlertStack,
                                                                           receiver: Receiver) -> None:
    stack.resident(*offset(*STAFFORD, 100, 0), ["email"])
    listener = subscribe(stack, f"{receiver.origin}/hooks/hexwatch", ["alert.published", "alert.moderated"],
                         trust="moderated")
    unsubscribed = register(stack, "fire-service", name="Fire and Rescue", partner_type="fire_rescue")

    public = stack.create("officer", public=True, title="Burglaries near the market", channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{public['id']}/send", "officer").status_code == 200
    private = stack.create("officer", title="Not published", channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{private['id']}/send", "officer").status_code == 200
    stack.pump()
    run_webhooks(stack)

    (published,) = receiver.received
    assert published["path"] == "/hooks/hexwatch"
    headers = {name.lower(): value for name, value in published["headers"].items()}
    secrets = (SigningSecret(listener.secret_id, listener.secret, ""),)
    assert verify(headers["hexwatch-signature"], published["body"], secrets, time.time()) == listener.secret_id
    event = json.loads(published["body"])
    assert headers["hexwatch-event"] == event["type"] == "alert.published"
    assert event["alert"]["id"] == public["id"] and event["alert"]["title"] == "Burglaries near the market"
    assert event["alert"]["cap_url"].endswith(f"/v1/feeds/staffordshire/alerts/{public['id']}.xml")

    made = json.loads(listener.post(council_alert(), key="moderated-1").body)
    assert stack.call("POST", f"/v1/alerts/{made['id']}/reject", "officer",
                      {"reason": "Please send this through the council's own channels."}).status_code == 200
    run_webhooks(stack)
    decision = json.loads(receiver.received[-1]["body"])
    assert decision["type"] == "alert.moderated" and decision["alert"]["moderation"] == "rejected"
    assert decision["alert"]["reason"] == "Please send this through the council's own channels."
    assert len(receiver.received) == 2  # the fire service subscribed to nothing: it hears nothing
    assert [(d["event"], d["state"], d["attempts"]) for d in deliveries(listener)] == [
        ("alert.moderated", "delivered", 1), ("alert.published", "delivered", 1)]
    assert deliveries(unsubscribed) == []


def test_failures_are_retried_with_backoff_then_dead_lettered_and_redirects_are_not_followed(
        stack: AlertStack, receiver: Receiver) -> None:
    listener = subscribe(stack, f"{receiver.origin}/hook", ["alert.published"])
    receiver.answer = 500
    public = stack.create("officer", public=True, title="Car thefts", channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{public['id']}/send", "officer").status_code == 200
    stack.pump()
    delivery = bootstrap.webhook_delivery()
    fanned = json.loads(receive_one(stack)["Body"])
    delivery.handle(fanned, 1)
    job = json.loads(receive_one(stack)["Body"])
    from chalicelib.services.webhooks import RetryWebhook

    with pytest.raises(RetryWebhook) as first:
        delivery.handle(job, 1)
    assert first.value.delay_seconds == 30
    assert deliveries(listener)[0] == {**deliveries(listener)[0], "state": "retrying", "attempts": 1,
                                       "status_code": 500, "error": "answered 500"}
    receiver.answer = 302
    with pytest.raises(RetryWebhook) as second:
        delivery.handle(job, 2)
    assert second.value.delay_seconds == 60
    assert deliveries(listener)[0]["error"] == "redirect not followed"
    assert all(r["path"] == "/hook" for r in receiver.received)  # the Location was never fetched
    with pytest.raises(RetryWebhook):
        delivery.handle(job, 6)
    assert deliveries(listener)[0]["state"] == "dead-lettered"
    receiver.answer = 200
    assert delivery.handle(job, 3).startswith("delivered")
    assert delivery.handle(job, 4) == "skipped: delivered before"


def receive_one(stack: AlertStack) -> dict[str, Any]:
    url = stack.queue_url(config.WEBHOOK_QUEUE)
    (message,) = stack.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)["Messages"]
    stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return dict(message)


@pytest.mark.parametrize("url", [
    "http://93.184.216.34/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.8/hook", "https://192.168.1.20/hook", "https://[::1]/hook", "https://[fe80::1]/hook",
    "https://localhost/hook", "https://user:pass@93.184.216.34/hook",
])
def test_every_address_that_is_not_public_https_is_refused_at_registration(stack: AlertStack, url: str) -> None:
    refused = stack.call("PUT", "/v1/partners/sneaky", "admin", {
        "name": "Sneaky partner", "partner_type": "other", "categories": ["crime"], "channels": ["email"],
        "whole_force": True, "webhook": {"url": url, "events": ["alert.published"]}})
    assert refused.status_code == 400 and "/webhook/url" in errors(refused), url


def test_an_address_checked_at_registration_is_checked_again_at_delivery(stack: AlertStack, receiver: Receiver,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    listener = subscribe(stack, f"{receiver.origin}/hook", ["alert.published"])
    assert stack.call("PUT", "/v1/partners/public-ip", "admin", {
        "name": "Public partner", "partner_type": "other", "categories": ["crime"], "channels": ["email"],
        "whole_force": True, "webhook": {"url": "https://93.184.216.34/hook", "events": ["alert.published"]}}
    ).status_code == 200
    monkeypatch.delenv(config.WEBHOOK_TEST_RECEIVERS_ENV)  # as in AWS: the local receiver is private again
    bootstrap.reset()
    public = stack.create("officer", public=True, title="Bike thefts", channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{public['id']}/send", "officer").status_code == 200
    stack.pump()
    delivery = bootstrap.webhook_delivery()
    delivery.handle(json.loads(receive_one(stack)["Body"]), 1)
    job = json.loads(receive_one(stack)["Body"])  # the other partner has no secret yet: it is sent nothing
    assert job["partner_id"] == listener.partner_id
    from chalicelib.services.webhooks import RetryWebhook

    with pytest.raises(RetryWebhook):
        delivery.handle(job, 1)
    assert receiver.received == []
    assert deliveries(listener)[0]["error"] == "address refused: must be an https:// address"
