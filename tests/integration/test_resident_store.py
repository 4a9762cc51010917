"""Delivery reads residents in bulk with the low-level client (PynamoDB's deserialising was the workers' main CPU
cost): what it reads must be exactly the resident the rest of the app reads through PynamoDB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import bootstrap
from chalicelib.domain.geo import location_key
from chalicelib.domain.residents import ACTIVE, Consent, ContactRecord, Device, Location, Resident


def _everything(resident_id: str, name: str | None) -> Resident:
    """A resident using every field: two locations, a verified and an unverified contact, two devices."""
    home, work = location_key(52.8066, -2.1167), location_key(52.9, -2.0)
    return Resident(
        id=resident_id, status=ACTIVE, name=name, language="pl", channels=["email", "sms", "push"],
        categories=["crime", "business"], business_sectors=["retail"], groups=["cctv", "dog_walkers"],
        locations=[Location("L1", "Home", 52.8066, -2.1167, "point", home.partition, home.point_cell),
                   Location("L2", "ST17", 52.9, -2.0, "district", work.partition, work.point_cell)],
        contacts=[ContactRecord("email", f"{resident_id.lower()}@hexwatch.example", f"h-{resident_id}-e",
                                "2026-11-01T09:00:00Z"),
                  ContactRecord("mobile", "+447400900123", f"h-{resident_id}-m", None)],
        devices=[Device("D1", "fcm", "token-1", "arn:aws:sns:eu-west-2:123456789012:endpoint/GCM/x/1", "Phone",
                        "2026-11-01T09:00:00Z"),
                 Device("D2", "apns", "token-2", None, None, "2026-11-02T09:00:00Z")],
        consent=Consent("2026-01", "2026-11-01T09:00:00Z", True),
        created_at="2026-11-01T09:00:00Z", updated_at="2026-11-02T09:00:00Z")


def test_the_bulk_read_gives_the_same_residents_as_the_model_read(fresh_stack: Callable[..., Any]) -> None:
    fresh_stack()
    bootstrap.reset()
    store = bootstrap.services().store
    written = [_everything("01STORE0000000000000000001", "Ann"), _everything("01STORE0000000000000000002", None)]
    for resident in written:
        store.create(resident)

    asked = [f"01MISSING{index:017d}" for index in range(150)] + [r.id for r in written] + [written[0].id]
    found = store.get_many(asked)

    assert sorted(found) == sorted(r.id for r in written)  # the missing ones are absent; 150 + 2 is two batches
    for resident in written:
        assert found[resident.id] == store.get(resident.id) == resident
    bootstrap.reset()
