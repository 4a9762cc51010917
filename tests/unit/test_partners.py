"""Partner agencies without AWS: the request signature (what a forger, a replayer or a clumsy partner gets), the
Idempotency-Key rules, what a partner may send, how a partner stands before the alert rules, and who of the
residents inside the area hears from which kind of sender."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from chalicelib.domain.alerts import Status, status_when_sent
from chalicelib.domain.audience import Audience, Filters
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.officers import Role
from chalicelib.domain.partners import (
    Partner,
    SigningSecret,
    check_scope,
    idempotency_key,
    signature_header,
    verify,
)

NOW = 1_800_000_000
OLD = SigningSecret("old1", "s3cret-old", "2026-01-01T00:00:00Z")
NEW = SigningSecret("new2", "s3cret-new", "2026-06-01T00:00:00Z")
BODY = b'{"title": "Bin lorry thefts"}'


def council(**changes: Any) -> Partner:
    fields: dict[str, Any] = {"id": "stafford-council", "name": "Stafford Borough Council",
                              "partner_type": "council", "host_force": "staffordshire",
                              "categories": ("crime", "neighbourhood"), "channels": ("email", "sms"),
                              "areas": ("stafford",), "secrets": (OLD, NEW)}
    return Partner(**{**fields, **changes})


def refused(call: Any) -> HexwatchError:
    with pytest.raises(HexwatchError) as caught:
        call()
    return caught.value


def test_the_signature_is_hmac_sha256_over_the_timestamp_and_the_raw_body() -> None:
    # What docs/partners.md tells partners to compute, written out by hand.
    digest = hmac.new(b"s3cret-new", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature_header("new2", "s3cret-new", NOW, BODY) == f"t={NOW},k=new2,v1={digest}"
    assert verify(f"t={NOW},k=new2,v1={digest}", BODY, (OLD, NEW), NOW) == "new2"


def test_either_active_secret_verifies_so_a_partner_can_rotate_without_downtime() -> None:
    for secret in (OLD, NEW):
        assert verify(signature_header(secret.id, secret.secret, NOW, BODY), BODY, (OLD, NEW), NOW) == secret.id
    # Once the old one is revoked, its signatures fail.
    assert refused(lambda: verify(signature_header("old1", "s3cret-old", NOW, BODY), BODY, (NEW,), NOW)).status == 401


@pytest.mark.parametrize("header", [
    None, "", "garbage", f"t={NOW},k=new2", f"t={NOW},v1=abc", "k=new2,v1=abc",
    f"t={NOW},k=new2,v1=0000", f"t={NOW},t={NOW},k=new2,v1=abc", "t=-5,k=new2,v1=abc",
    f"t={NOW}.5,k=new2,v1=abc", "t=" + "9" * 40 + ",k=new2,v1=abc", "x" * 1000,
])
def test_a_missing_or_malformed_signature_is_refused_with_one_answer(header: str | None) -> None:
    error = refused(lambda: verify(header, BODY, (OLD, NEW), NOW))
    assert (error.status, error.errors[0].pointer) == (401, "/headers/Hexwatch-Signature")


def test_a_signature_older_or_newer_than_five_minutes_is_refused() -> None:
    for skew in (-300, 300):
        assert verify(signature_header("new2", "s3cret-new", NOW + skew, BODY), BODY, (NEW,), NOW) == "new2"
    for skew in (-301, 301, -86400):
        header = signature_header("new2", "s3cret-new", NOW + skew, BODY)
        assert refused(lambda h=header: verify(h, BODY, (NEW,), NOW)).status == 401  # type: ignore[misc]


def test_a_changed_body_a_wrong_secret_or_an_unknown_secret_id_is_refused() -> None:
    good = signature_header("new2", "s3cret-new", NOW, BODY)
    assert refused(lambda: verify(good, BODY + b" ", (NEW,), NOW)).status == 401
    assert refused(lambda: verify(signature_header("new2", "guess", NOW, BODY), BODY, (NEW,), NOW)).status == 401
    assert refused(lambda: verify(signature_header("zzzz", "s3cret-new", NOW, BODY), BODY, (NEW,), NOW)).status == 401
    # A partner without secrets (none made yet, or all revoked) accepts nothing.
    assert refused(lambda: verify(good, BODY, (), NOW)).status == 401


def test_the_idempotency_key_is_required_and_bounded() -> None:
    assert idempotency_key("cap:sender@example.org,ABC-123") == "cap:sender@example.org,ABC-123"
    for bad in (None, "", "has space", "x" * 256, "caf\u00e9"):
        error = refused(lambda b=bad: idempotency_key(b))  # type: ignore[misc]
        assert (error.status, error.errors[0].pointer) == (400, "/headers/Idempotency-Key")


def test_a_partner_may_send_only_its_categories_and_channels() -> None:
    check_scope(council(), {"category": "crime", "channels": ["email"]})
    error = refused(lambda: check_scope(council(), {"category": "rural", "channels": ["email", "voice", "sms"]}))
    assert error.status == 403
    assert [e.pointer for e in error.errors] == ["/category", "/channels/1"]


def test_a_moderated_partner_waits_for_approval_and_a_trusted_one_sends_as_an_officer() -> None:
    moderated, trusted = council().principal(), council(trust="trusted").principal()
    assert moderated.role is Role.VOLUNTEER and trusted.role is Role.OFFICER
    assert moderated.organisation == "staffordshire" and moderated.areas == ("stafford",)
    assert not moderated.whole_organisation and council(whole_force=True, areas=()).principal().whole_organisation
    assert moderated.sub == "partner:stafford-council"  # never a Cognito sub (a UUID), so never an officer

    class Draft:
        status, approved_by, send_at = Status.DRAFT, None, None

    assert status_when_sent(moderated, Draft(), False, None) is Status.PENDING_APPROVAL  # type: ignore[arg-type]
    assert status_when_sent(trusted, Draft(), False, None) is Status.SENDING  # type: ignore[arg-type]
    # A trusted partner's costly send still waits for a supervisor, as an officer's does.
    assert status_when_sent(trusted, Draft(), True, None) is Status.PENDING_APPROVAL  # type: ignore[arg-type]


def location(resident_id: str, senders: tuple[str, ...] | None) -> dict[str, Any]:
    item: dict[str, Any] = {"resident_id": resident_id, "channels": ["email"], "categories": ["crime"],
                            "language": "en", "lat": 52.8, "lng": -2.1}
    if senders is not None:
        item["senders"] = list(senders)
    return item


def test_residents_hear_from_a_partner_only_if_they_chose_its_kind_and_always_from_the_police() -> None:
    residents = [location("council-too", ("council",)), location("fire-only", ("fire_rescue",)),
                 location("police-only", ()), location("joined-before-partners", None)]
    body = {"category": "crime", "channels": ["email"]}
    for sender, expected in ((None, {"council-too", "fire-only", "police-only", "joined-before-partners"}),
                             ("council", {"council-too"}), ("fire_rescue", {"fire-only"}), ("fraud", set())):
        gathered = Audience()
        for item in residents:
            gathered.add_location(Filters.of({**body, "sender_type": sender}), item)
        assert {r.resident_id for r in gathered.recipients.values()} == expected, sender
