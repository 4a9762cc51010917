"""Partner agencies through their signed webhook, on the emulator: a force's admin registers a partner and gives it
a secret; the partner's signed JSON becomes an alert that reaches exactly the residents who chose to hear from that
kind of sender; forged, stale, oversized, unkeyed and out-of-scope requests get their answers; a replay sends nothing
twice; and a moderated partner's alert waits for an officer, who may reject it with a reason the partner reads."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.partners import signature_header

from .alert_helpers import STAFFORD, AlertStack, alert_body, offset, serving_alert_stack

LEEK = (53.1050, -2.0230)


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def errors(response: Any) -> dict[str, str]:
    return {e["pointer"]: e["message"] for e in json.loads(response.body)["errors"]}


def received(stack: AlertStack, residents: list[Any]) -> dict[str, int]:
    return {r_id: sum(len(m) for m in by_channel.values())
            for r_id, by_channel in stack.outbox_for(residents).items()}


class PartnerClient:
    """What a partner's server does: sign each request with its secret and send it."""

    def __init__(self, stack: AlertStack, partner_id: str, secret_id: str, secret: str) -> None:
        self.stack, self.partner_id, self.secret_id, self.secret = stack, partner_id, secret_id, secret

    def post(self, body: Any, key: str | None = "key-1", *, at: float | None = None, secret: str | None = None,
             raw: bytes | None = None, content_type: str = "application/json") -> Any:
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": content_type,
                   "Hexwatch-Signature": signature_header(self.secret_id, secret or self.secret,
                                                          int(at or time.time()), data)}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.stack.client.http.post(f"/v1/partners/{self.partner_id}/alerts", body=data, headers=headers)

    def cap(self, message: bytes, **options: Any) -> Any:
        return self.post(None, None, raw=message, content_type="application/cap+xml", **options)

    def read(self, alert_id: str) -> Any:
        path = f"/v1/partners/{self.partner_id}/alerts/{alert_id}"
        return self.stack.client.http.get(path, headers={
            "Hexwatch-Signature": signature_header(self.secret_id, self.secret, int(time.time()), path.encode())})


def register(stack: AlertStack, partner_id: str = "stafford-council", **overrides: Any) -> PartnerClient:
    entry = {"name": "Stafford Borough Council", "partner_type": "council", "categories": ["crime", "neighbourhood"],
             "channels": ["email", "sms"], "areas": ["stafford"], "trust": "trusted", **overrides}
    made = stack.call("PUT", f"/v1/partners/{partner_id}", "admin", entry)
    assert made.status_code == 200, made.body
    secret = stack.call("POST", f"/v1/partners/{partner_id}/secrets", "admin", {})
    assert secret.status_code == 201, secret.body
    shown = json.loads(secret.body)
    return PartnerClient(stack, partner_id, shown["secret_id"], shown["secret"])


def council_alert(**overrides: Any) -> dict[str, Any]:
    wording = {"title": "Bin lorry thefts in Stafford", "channels": ["email"],
               "body": "Two council vehicles were taken overnight. Call 101 if you saw anything."}
    return alert_body(**{**wording, **overrides})


def test_a_signed_alert_reaches_exactly_the_residents_who_chose_that_kind_of_sender(stack: AlertStack) -> None:
    council_too = stack.resident(*offset(*STAFFORD, 100, 100), ["email"], senders=["council"])
    police_only = stack.resident(*offset(*STAFFORD, -100, 50), ["email"])
    fire_only = stack.resident(*offset(*STAFFORD, 50, -100), ["email"], senders=["fire_rescue"])
    far_away = stack.resident(*offset(*LEEK, 0, 0), ["email"], senders=["council"])
    partner = register(stack)

    made = partner.post(council_alert())
    assert made.status_code == 201, made.body
    shown = json.loads(made.body)
    assert shown["status"] == "sending" and shown["moderation"] == "not_moderated"
    assert made.headers["Location"] == f"/v1/partners/stafford-council/alerts/{shown['id']}"
    stack.pump()
    assert received(stack, [council_too, police_only, fire_only, far_away]) == {
        council_too.id: 1, police_only.id: 0, fire_only.id: 0, far_away.id: 0}
    (email,) = stack.outbox_for([council_too])[council_too.id]["email"]
    assert "Stafford Borough Council via Staffordshire Police" in json.dumps(email)

    # The officer sees who raised it, and the audit trail says so.
    read = json.loads(stack.call("GET", f"/v1/alerts/{shown['id']}", "officer").body)
    assert read["source"]["kind"] == "partner" and read["source"]["partner_type"] == "council"
    assert any(step["action"] == "partner.submit" for step in read["audit"])

    # A replay of the same request returns the same alert with 200 and sends nothing again.
    again = partner.post(council_alert())
    assert again.status_code == 200 and json.loads(again.body)["id"] == shown["id"]
    stack.pump()
    assert received(stack, [council_too])[council_too.id] == 1
    # The same key with another body is a mistake the partner must hear about.
    other = partner.post(council_alert(title="Something else entirely"))
    assert other.status_code == 409 and "/headers/Idempotency-Key" in errors(other)

    status = partner.read(shown["id"])
    assert status.status_code == 200 and json.loads(status.body)["id"] == shown["id"]


def test_forged_stale_oversized_unkeyed_and_out_of_scope_requests_are_refused(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 100), ["email", "sms"], senders=["council"])
    partner = register(stack)

    forged = partner.post(council_alert(), secret="not-the-secret")
    assert forged.status_code == 401 and "/headers/Hexwatch-Signature" in errors(forged)
    stale = partner.post(council_alert(), at=time.time() - 301)
    assert stale.status_code == 401
    early = partner.post(council_alert(), at=time.time() + 301)
    assert early.status_code == 401
    unknown = PartnerClient(stack, "no-such-partner", partner.secret_id, partner.secret).post(council_alert())
    assert unknown.status_code == 401  # the same answer as a bad signature: nobody learns which partners exist
    unsigned = stack.client.http.post("/v1/partners/stafford-council/alerts", body=json.dumps(council_alert()),
                                      headers={"Content-Type": "application/json", "Idempotency-Key": "k"})
    assert unsigned.status_code == 401
    # A body signed for one request and sent with another is not signed at all.
    tampered_headers = {"Content-Type": "application/json", "Idempotency-Key": "k",
                        "Hexwatch-Signature": signature_header(partner.secret_id, partner.secret, int(time.time()),
                                                               json.dumps(council_alert()).encode())}
    tampered = stack.client.http.post("/v1/partners/stafford-council/alerts",
                                      body=json.dumps(council_alert(priority="urgent")), headers=tampered_headers)
    assert tampered.status_code == 401

    huge = partner.post(None, raw=b'{"title": "' + b"x" * (300 * 1024) + b'"}')
    assert huge.status_code == 413

    unkeyed = partner.post(council_alert(), key=None)
    assert unkeyed.status_code == 400 and "/headers/Idempotency-Key" in errors(unkeyed)

    bad = partner.post({**council_alert(), "priority": "whenever", "survey": {"question": "Why?"}}, key="bad")
    assert bad.status_code == 400 and {"/priority", ""} <= set(errors(bad)) | {""}
    assert "/priority" in errors(bad)

    rural = partner.post(council_alert(category="rural"), key="rural")
    assert rural.status_code == 403 and "/category" in errors(rural)
    voice = partner.post(council_alert(channels=["email", "voice"]), key="voice")
    assert voice.status_code == 403 and "/channels/1" in errors(voice)
    leek = partner.post(council_alert(target={"type": "areas", "area_ids": ["leek"]}), key="leek")
    assert leek.status_code == 403 and "/target/area_ids/0" in errors(leek)
    whole = partner.post(council_alert(target={"type": "organisation"}), key="whole")
    assert whole.status_code == 403
    drawn_outside = partner.post(council_alert(target={"type": "circle", "center": {"lat": LEEK[0], "lng": LEEK[1]},
                                                       "radius_m": 500}), key="drawn")
    assert drawn_outside.status_code == 403

    stack.pump()
    assert received(stack, [resident])[resident.id] == 0


def test_a_revoked_secret_is_refused_and_two_secrets_rotate_without_downtime(stack: AlertStack) -> None:
    partner = register(stack)
    second = json.loads(stack.call("POST", "/v1/partners/stafford-council/secrets", "admin", {}).body)
    third = stack.call("POST", "/v1/partners/stafford-council/secrets", "admin", {})
    assert third.status_code == 409  # two at most
    rotated = PartnerClient(stack, partner.partner_id, second["secret_id"], second["secret"])
    assert partner.post(council_alert(), key="old").status_code == 201
    assert rotated.post(council_alert(), key="new").status_code == 201
    revoked = stack.call("DELETE", f"/v1/partners/stafford-council/secrets/{partner.secret_id}", "admin")
    assert revoked.status_code == 200
    assert [s["secret_id"] for s in json.loads(revoked.body)["secrets"]] == [second["secret_id"]]
    assert partner.post(council_alert(), key="after").status_code == 401
    assert rotated.post(council_alert(), key="after").status_code == 201
    # No answer ever carries a secret's value again.
    listed = stack.call("GET", "/v1/partners", "admin")
    assert second["secret"].encode() not in listed.body and partner.secret.encode() not in listed.body


def test_a_moderated_partners_alert_waits_and_an_officer_rejects_it_with_a_reason(stack: AlertStack) -> None:
    resident = stack.resident(*offset(*STAFFORD, 100, 100), ["email"], senders=["council"])
    partner = register(stack, trust="moderated")
    made = json.loads(partner.post(council_alert(), key="first").body)
    assert made["status"] == "pending_approval" and made["moderation"] == "pending"
    queue = json.loads(stack.call("GET", "/v1/review", "officer").body)
    assert [(a["id"], a["source"], a["partner"]) for a in queue["alerts"]] == [
        (made["id"], "partner", "stafford-council")]
    assert stack.call("GET", "/v1/review", "volunteer").status_code == 403

    no_reason = stack.call("POST", f"/v1/alerts/{made['id']}/reject", "officer", {})
    assert no_reason.status_code == 400 and "/reason" in errors(no_reason)
    rejected = stack.call("POST", f"/v1/alerts/{made['id']}/reject", "officer",
                          {"reason": "Not a police matter: please use the council's own channels."})
    assert rejected.status_code == 200 and json.loads(rejected.body)["status"] == "cancelled"
    outcome = json.loads(partner.read(made["id"]).body)
    assert outcome == {**outcome, "status": "cancelled", "moderation": "rejected",
                       "reason": "Not a police matter: please use the council's own channels."}
    assert json.loads(stack.call("GET", "/v1/review", "officer").body)["alerts"] == []

    approved_one = json.loads(partner.post(council_alert(title="Bin lorry thefts again"), key="second").body)
    approve = stack.call("POST", f"/v1/alerts/{approved_one['id']}/approve", "officer")
    assert approve.status_code == 200
    stack.pump()
    assert received(stack, [resident])[resident.id] == 1
    assert json.loads(partner.read(approved_one["id"]).body)["moderation"] == "approved"


def test_partners_are_managed_only_by_their_host_forces_admins(stack: AlertStack) -> None:
    entry = {"name": "Action Fraud", "partner_type": "fraud", "categories": ["crime"], "channels": ["email"],
             "whole_force": True}
    assert stack.call("PUT", "/v1/partners/action-fraud", "officer", entry).status_code == 403
    assert stack.call("PUT", "/v1/partners/action-fraud", "admin", {**entry, "areas": ["stafford"]}).status_code == 400
    assert stack.call("PUT", "/v1/partners/action-fraud", "admin", {**entry, "host_force": "elsewhere"}
                      ).status_code == 403
    unknown_area = stack.call("PUT", "/v1/partners/action-fraud", "admin",
                              {**entry, "whole_force": False, "areas": ["atlantis"]})
    assert unknown_area.status_code == 400 and "/areas/0" in errors(unknown_area)
    assert stack.call("PUT", "/v1/partners/action-fraud", "admin", entry).status_code == 200
    # A partner's id is not a force's: it can never be an officer's organisation, nor be overwritten as a force.
    assert stack.call("PUT", "/v1/organisations/action-fraud", "operator", {"name": "Fake"}).status_code == 409
    assert stack.call("PUT", "/v1/partners/staffordshire", "admin", entry).status_code == 409
    assert stack.call("GET", "/v1/partners/action-fraud", "officer").status_code == 403
    trail = bootstrap.alert_service()._store.audit_trail("staffordshire", "registry")
    assert any(step["action"] == "partner.set" for step in trail)


def test_a_partner_over_its_rate_is_told_when_to_come_back(stack: AlertStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXWATCH_RATE_LIMITS", json.dumps({"partner.alerts": [2, 3600]}))
    bootstrap.reset()
    partner = register(stack)
    assert [partner.post(council_alert(), key=f"k{n}").status_code for n in range(2)] == [201, 201]
    refused = partner.post(council_alert(), key="k3")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # Unsigned requests never count against the partner: a stranger cannot use up its rate.
    other = register(stack, "fire-service", name="Staffordshire Fire and Rescue", partner_type="fire_rescue")
    for n in range(3):
        assert other.post(council_alert(), key=f"x{n}", secret="wrong").status_code == 401
    assert other.post(council_alert(), key="real").status_code == 201


def test_the_preview_counts_whom_a_partner_of_a_kind_would_reach(stack: AlertStack,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(6):
        stack.resident(*offset(*STAFFORD, 20 * n, 10), ["email"], senders=["council"] if n < 5 else [])
    for n in range(6):
        stack.resident(*offset(*STAFFORD, -20 * n, 10), ["email"], senders=["fire_rescue"])
    body = council_alert(target={"type": "circle", "center": {"lat": STAFFORD[0], "lng": STAFFORD[1]},
                                 "radius_m": 400})
    police = json.loads(stack.call("POST", "/v1/alerts/preview", body=body).body)
    council = json.loads(stack.call("POST", "/v1/alerts/preview?sender=council", body=body).body)
    fraud = json.loads(stack.call("POST", "/v1/alerts/preview?sender=fraud", body=body).body)
    assert (police["residents"], council["residents"], fraud["residents"]) == (12, 5, "fewer than 5")
    assert council["sender"] == "council" and "sender" not in police
    bad = stack.call("POST", "/v1/alerts/preview?sender=mi5", body=body)
    assert bad.status_code == 400 and "/sender" in errors(bad)
    # Counted by the worker too, when the preview is too big for the request.
    monkeypatch.setenv("HEXWATCH_PREVIEW_BUDGET_SECONDS", "0")
    bootstrap.reset()
    queued = stack.call("POST", "/v1/alerts/preview?sender=council", body=body)
    assert queued.status_code == 202
    stack.run_queue("targeting")
    counted = json.loads(stack.call("GET", json.loads(queued.body)["poll"]).body)
    assert counted["status"] == "done" and counted["residents"] == 5
