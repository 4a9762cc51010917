"""The resident services on in-memory fakes of their ports (services/resident_ports.py): no emulator, no AWS.

The emulator tiers (tests/integration, tests/security) prove the adapters; these prove the use cases' own rules, fast.
Each fake implements a Protocol and keeps only what a test needs to look at afterwards.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.adapters.geocoding import GeocodedPoint
from chalicelib.adapters.residents_store import ContactTaken
from chalicelib.domain.contacts import Contact, ContactHasher
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.residents import ACTIVE, OPTED_OUT, PENDING, Consent, ContactRecord, Device, Resident
from chalicelib.domain.tokens import KeyRing, TokenSigner
from chalicelib.services.residents import SIGNIN, UNSUBSCRIBE, VERIFY, ResidentService, ResidentSettings, iso

NOW = 1_800_000_000.0
HASHER = ContactHasher(b"contact-hash-key-for-tests-only")
SIGNER = TokenSigner(KeyRing({"k1": b"signing-key-for-tests-only"}, "k1"), lambda: NOW)
EMAIL, MOBILE = HASHER.email("jo@example.org"), HASHER.mobile("07400 123456")


@dataclass
class Owner:
    resident_id: str
    verified: bool


class FakeStore:
    """ResidentRecords: copies in and out, as a table would, so a service sees only what it saved."""

    def __init__(self, suppressions: FakeSuppressions) -> None:
        self.residents: dict[str, Resident] = {}
        self.owners: dict[str, Owner] = {}
        self.wrong_codes: dict[str, int] = {}
        self.erased: list[tuple[str, str]] = []
        self._suppressions = suppressions

    def create(self, resident: Resident) -> None:
        if any((o := self.owners.get(c.hash)) and o.verified for c in resident.contacts):
            raise ContactTaken()
        self.save(resident, None)
        self.owners.update({c.hash: Owner(resident.id, False) for c in resident.contacts})

    def get(self, resident_id: str) -> Resident | None:
        return copy.deepcopy(self.residents.get(resident_id))

    def save(self, resident: Resident, previous: Resident | None) -> None:
        self.residents[resident.id] = copy.deepcopy(resident)

    def contact_owner(self, contact_hash: str) -> Owner | None:
        return self.owners.get(contact_hash)

    def claim_verified(self, contact_hash: str, resident_id: str, kind: str) -> bool:
        owner = self.owners.get(contact_hash)
        if owner is not None and owner.verified and owner.resident_id != resident_id:
            return False
        self.owners[contact_hash] = Owner(resident_id, True)
        return True

    def consume_code(self, contact_hash: str, digest: str, now: float, max_attempts: int) -> str | None:
        return None  # no code was issued in these tests: every code is wrong

    def count_wrong_code(self, contact_hash: str, now: float, max_attempts: int) -> None:
        self.wrong_codes[contact_hash] = self.wrong_codes.get(contact_hash, 0) + 1

    def erase(self, resident: Resident, suppressed_at: str) -> None:
        # As the real store does in one transaction: the resident goes, their contacts' hashes stay suppressed.
        del self.residents[resident.id]
        for record in resident.contacts:
            self.owners.pop(record.hash, None)
            self._suppressions.suppress(record.hash, "erased", suppressed_at)
        self.erased.append((resident.id, suppressed_at))

    def delete_unverified(self, resident: Resident) -> None:
        del self.residents[resident.id]

    def scan_pending(self, created_before: str) -> Iterator[Resident]:
        for resident in list(self.residents.values()):
            if resident.status == PENDING and resident.created_at < created_before:
                yield copy.deepcopy(resident)


class FakeSuppressions:
    def __init__(self) -> None:
        self.reasons: dict[str, str] = {}

    def suppress(self, contact_hash: str, reason: str, at: str) -> None:
        self.reasons[contact_hash] = reason

    def reason(self, contact_hash: str) -> str | None:
        return self.reasons.get(contact_hash)

    def lift(self, contact_hash: str) -> None:
        self.reasons.pop(contact_hash, None)


class FakeLedger:
    def __init__(self) -> None:
        self.erased: list[str] = []

    def erase_contacts(self, contacts: Any) -> int:
        self.erased.extend(contacts)
        return len(self.erased)


class FakePush:
    def __init__(self) -> None:
        self.removed: list[str] = []

    def register(self, platform: str, token: str, resident_id: str) -> str | None:
        return f"arn:endpoint/{platform}/{token[:4]}"

    def remove(self, endpoint_arn: str) -> None:
        self.removed.append(endpoint_arn)


class FakeSessions:
    def __init__(self) -> None:
        self.open_ids: set[tuple[str, str]] = set()

    def open(self, resident_id: str, session_id: str, created_at: str, expires_at: int) -> None:
        self.open_ids.add((resident_id, session_id))

    def is_open(self, resident_id: str, session_id: str) -> bool:
        return (resident_id, session_id) in self.open_ids

    def close(self, resident_id: str, session_id: str) -> None:
        self.open_ids.discard((resident_id, session_id))

    def close_all(self, resident_id: str) -> int:
        mine = {s for s in self.open_ids if s[0] == resident_id}
        self.open_ids -= mine
        return len(mine)


class FakeLinks:
    def __init__(self) -> None:
        self.redeemed: set[str] = set()

    def redeem(self, link_id: str, expires_at: int) -> bool:
        if link_id in self.redeemed:
            return False
        self.redeemed.add(link_id)
        return True


class FakeCounter:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key], 1234


class FakeJobs:
    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []

    def put(self, job: dict[str, Any]) -> None:
        self.jobs.append(job)


class FakeGeocoder:
    def geocode(self, postcode: str) -> GeocodedPoint | None:
        return GeocodedPoint(52.8066, -2.1167, "district") if postcode.upper().startswith("ST16") else None


class FakeBudget:
    def __init__(self) -> None:
        self.charged: list[Contact] = []

    def charge(self, contacts: Any) -> None:
        self.charged.extend(contacts)


class World:
    """A ResidentService wired to fakes, which tests read back."""

    def __init__(self) -> None:
        self.suppressions = FakeSuppressions()
        self.store = FakeStore(self.suppressions)
        self.ledger, self.push, self.sessions = FakeLedger(), FakePush(), FakeSessions()
        self.links, self.counter, self.jobs, self.budget = FakeLinks(), FakeCounter(), FakeJobs(), FakeBudget()
        ids = iter(range(1, 1000))
        self.service = ResidentService(
            store=self.store, suppressions=self.suppressions, hasher=HASHER, signer=SIGNER, geocoder=FakeGeocoder(),
            jobs=self.jobs, rate_counter=self.counter, push=self.push, settings=ResidentSettings("2026-11"),
            clock=lambda: NOW, links=self.links, sessions=self.sessions, new_id=lambda: f"id{next(ids)}",
            deliveries=self.ledger, sms_budget=self.budget)

    def active(self, resident_id: str = "R1", created_at: str = "2026-11-01T00:00:00Z") -> Resident:
        resident = Resident(
            id=resident_id, status=ACTIVE, language="en", channels=["email", "sms", "push"],
            categories=["crime", "business"], business_sectors=["retail"], groups=[], locations=[],
            contacts=[ContactRecord("email", EMAIL.address, EMAIL.hash, created_at),
                      ContactRecord("mobile", MOBILE.address, MOBILE.hash, created_at)],
            consent=Consent("2026-11", created_at), created_at=created_at, updated_at=created_at,
            devices=[Device("D1", "fcm", "t" * 20, "arn:endpoint/D1", None, created_at),
                     Device("D2", "apns", "u" * 20, None, None, created_at)])
        self.store.save(resident, None)
        self.store.owners.update({c.hash: Owner(resident_id, True) for c in resident.contacts})
        return resident

    def signed_in(self, resident_id: str, contact_hash: str) -> str:
        token = SIGNER.sign(SIGNIN, {"sub": resident_id, "ch": contact_hash, "jti": f"j-{contact_hash[:8]}"}, 900)
        return "Bearer " + self.service.redeem({"token": token}, "192.0.2.1")["session"]


def unsubscribe_token(resident_id: str, contact_hash: str) -> str:
    return SIGNER.sign(UNSUBSCRIBE, {"sub": resident_id, "ch": contact_hash}, None)


def test_erasure_clears_the_ledger_endpoints_and_every_session_and_suppresses_the_contacts() -> None:
    world = World()
    resident = world.active()
    phone, laptop = world.signed_in("R1", EMAIL.hash), world.signed_in("R1", MOBILE.hash)
    world.service.erase(world.service.authenticate(phone))
    assert world.ledger.erased == [EMAIL.hash, MOBILE.hash, "push:R1"]
    assert world.push.removed == ["arn:endpoint/D1"]  # a device never registered for push has no endpoint
    assert world.store.erased == [("R1", iso(NOW))] and world.store.get("R1") is None
    assert world.suppressions.reasons == {c.hash: "erased" for c in resident.contacts}
    for session in (phone, laptop):  # not just the one that asked
        with pytest.raises(HexwatchError) as refused:
            world.service.authenticate(session)
        assert refused.value.status == 401


def test_purging_removes_only_old_signups_that_never_confirmed_and_suppresses_nothing() -> None:
    world = World()
    old = world.service.signup({"email": "old@example.org", "channels": ["email"], "categories": ["crime"],
                                "locations": [{"label": "Home", "postcode": "ST16 2DH"}]}, "192.0.2.1")
    assert old["status"] == "pending"
    pending = next(r for r in world.store.residents.values() if r.status == PENDING)
    confirmed = copy.deepcopy(pending)
    confirmed.id, confirmed.contacts[0].verified_at = "R2", "2026-11-02T00:00:00Z"
    world.store.save(confirmed, None)
    world.active("R3")
    assert world.service.purge_unverified(iso(NOW - 86400)) == 0  # signed up today: it may yet confirm
    assert world.service.purge_unverified(iso(NOW + 86400)) == 1
    assert set(world.store.residents) == {"R2", "R3"} and world.suppressions.reasons == {}


def test_unsubscribing_a_contact_stops_its_channels_and_suppresses_it() -> None:
    world = World()
    world.active()
    token = unsubscribe_token("R1", MOBILE.hash)
    assert world.service.unsubscribe_details(token) == {"subscribed": True, "contact": "+44*****456",
                                                        "categories": ["crime", "business"]}
    assert world.service.unsubscribe(token, None)["status"] == "unsubscribed"
    saved = world.store.residents["R1"]
    assert saved.channels == ["email", "push"] and saved.status == ACTIVE
    assert world.suppressions.reasons == {MOBILE.hash: "opted_out"}
    assert world.service.unsubscribe_details(token)["subscribed"] is False


def test_leaving_some_categories_keeps_the_channels_and_the_last_one_opts_out() -> None:
    world = World()
    world.active()
    token = unsubscribe_token("R1", EMAIL.hash)
    assert world.service.unsubscribe(token, ["business"]) == {"status": "updated", "categories": ["crime"]}
    assert world.store.residents["R1"].business_sectors == [] and world.suppressions.reasons == {}
    assert world.service.unsubscribe(token, ["crime"])["status"] == "unsubscribed"
    assert world.store.residents["R1"].status == OPTED_OUT and world.suppressions.reasons == {EMAIL.hash: "opted_out"}


def test_choosing_channels_again_after_opting_out_lifts_only_that_opt_out() -> None:
    world = World()
    world.active()
    world.service.unsubscribe(unsubscribe_token("R1", EMAIL.hash), ["crime", "business"])
    world.suppressions.suppress(MOBILE.hash, "bounced", iso(NOW))
    resident = world.store.get("R1")
    assert resident is not None
    assert world.service.update(resident, {"channels": ["email", "sms"], "categories": ["crime"]})["status"] == ACTIVE
    assert world.suppressions.reasons == {MOBILE.hash: "bounced"}  # a bounce is not lifted by choosing a channel


def test_unsubscribing_after_erasure_still_succeeds_and_a_forged_link_is_refused() -> None:
    world = World()
    assert world.service.unsubscribe(unsubscribe_token("gone", EMAIL.hash), None) == {"status": "unsubscribed"}
    with pytest.raises(HexwatchError) as refused:
        world.service.unsubscribe(SIGNER.sign(VERIFY, {"sub": "R1", "ch": EMAIL.hash}, 60), None)
    assert refused.value.status == 400 and refused.value.errors[0].pointer == "/token"


def test_sign_in_is_limited_per_contact_and_answers_alike_for_unknown_contacts() -> None:
    world = World()
    world.active()
    for _ in range(5):
        assert world.service.start_signin({"phone": "07400 123456"}, "192.0.2.1")["status"] == "sent"
    assert [j["type"] for j in world.jobs.jobs] == [SIGNIN] * 5 and len(world.budget.charged) == 5
    with pytest.raises(HexwatchError) as refused:
        world.service.start_signin({"phone": "07400 123456"}, "192.0.2.2")
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "1234"}
    unknown = world.service.start_signin({"email": "nobody@example.org"}, "192.0.2.1")
    assert unknown == world.service.start_signin({"email": "jo@example.org"}, "192.0.2.1")
    assert len(world.jobs.jobs) == 6  # the unknown address was sent nothing


def test_sign_in_is_limited_per_address_across_contacts() -> None:
    world = World()
    for n in range(30):
        world.service.start_signin({"email": f"someone{n}@example.org"}, "198.51.100.7")
    with pytest.raises(HexwatchError) as refused:
        world.service.start_signin({"email": "one-more@example.org"}, "198.51.100.7")
    assert refused.value.status == 429
    world.service.start_signin({"email": "one-more@example.org"}, "198.51.100.8")  # another address is not held up


def test_a_sign_in_link_works_once_and_signing_out_ends_only_that_session() -> None:
    world = World()
    world.active()
    token = SIGNER.sign(SIGNIN, {"sub": "R1", "ch": EMAIL.hash, "jti": "once"}, 900)
    first = "Bearer " + world.service.redeem({"token": token}, "192.0.2.1")["session"]
    with pytest.raises(HexwatchError) as reused:
        world.service.redeem({"token": token}, "192.0.2.1")
    assert reused.value.status == 410
    other = world.signed_in("R1", MOBILE.hash)
    world.service.sign_out(first)
    with pytest.raises(HexwatchError):
        world.service.authenticate(first)
    assert world.service.authenticate(other).id == "R1"


def test_signing_up_with_a_confirmed_contact_answers_as_a_new_signup_and_sends_a_sign_in_link() -> None:
    world = World()
    body = {"email": "jo@example.org", "channels": ["email"], "categories": ["crime"],
            "locations": [{"label": "Home", "lat": 52.8, "lng": -2.1}]}
    fresh = World().service.signup(body, "192.0.2.1")
    world.active()
    assert world.service.signup(body, "192.0.2.1") == fresh
    assert world.jobs.jobs == [{"type": SIGNIN, "resident_id": "R1", "contact_hash": EMAIL.hash}]
    assert set(world.store.residents) == {"R1"}


def test_a_wrong_code_is_counted_and_refused_with_the_one_answer() -> None:
    world = World()
    with pytest.raises(HexwatchError) as refused:
        world.service.redeem({"phone": "07400 123456", "code": "000000"}, "192.0.2.1")
    assert refused.value.errors[0].pointer == "/code" and world.store.wrong_codes == {MOBILE.hash: 1}
