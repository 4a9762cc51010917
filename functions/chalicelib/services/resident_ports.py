"""The ports the resident services depend on, in one place: small Protocols that the real adapters satisfy
(bootstrap.py wires them) and that in-memory fakes implement (tests/unit/test_resident_services_with_fakes.py).

Only what the services call is named here, so a fake need not carry an adapter's other methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

# Geocoding already has its port beside its adapters; named here too so every port the services take is in one list.
from ..adapters.geocoding import Geocoder
from ..domain.contacts import Contact
from ..domain.residents import Resident

__all__ = ["ContactOwner", "DeliveryRecords", "Geocoder", "JobQueue", "PushRegistry", "RateCounter", "RedeemedLinks",
           "ResidentRecords", "Sessions", "SmsBudget", "Suppressions"]


class ContactOwner(Protocol):
    """Who holds a contact hash and whether they confirmed it (adapters/models.py ContactModel)."""

    @property
    def resident_id(self) -> str: ...

    @property
    def verified(self) -> bool: ...


class ResidentRecords(Protocol):
    """The residents and the contacts they own (adapters/residents_store.py ResidentStore)."""

    def create(self, resident: Resident) -> None:
        """Raises adapters.residents_store.ContactTaken when one of its contacts is already someone's."""

    def get(self, resident_id: str) -> Resident | None: ...

    def save(self, resident: Resident, previous: Resident | None) -> None: ...

    def contact_owner(self, contact_hash: str) -> ContactOwner | None: ...

    def claim_verified(self, contact_hash: str, resident_id: str, kind: str) -> bool: ...

    def consume_code(self, contact_hash: str, digest: str, now: float, max_attempts: int) -> str | None: ...

    def count_wrong_code(self, contact_hash: str, now: float, max_attempts: int) -> None: ...

    def erase(self, resident: Resident, suppressed_at: str) -> None: ...

    def delete_unverified(self, resident: Resident) -> None: ...

    def scan_pending(self, created_before: str) -> Iterable[Resident]: ...


class Suppressions(Protocol):
    """Contacts we must not message, and why (adapters/residents_store.py SuppressionList)."""

    def suppress(self, contact_hash: str, reason: str, at: str) -> None: ...

    def reason(self, contact_hash: str) -> str | None: ...

    def lift(self, contact_hash: str) -> None: ...


class JobQueue(Protocol):
    def put(self, job: dict[str, Any]) -> None: ...


class RateCounter(Protocol):
    def hit(self, key: str, window_seconds: int) -> tuple[int, int]: ...


class SmsBudget(Protocol):
    """Charges the texts a request would send (services/sms_budget.py); raises 429 past the budget."""

    def charge(self, contacts: Iterable[Contact]) -> None: ...


class RedeemedLinks(Protocol):
    def redeem(self, link_id: str, expires_at: int) -> bool: ...


class Sessions(Protocol):
    def open(self, resident_id: str, session_id: str, created_at: str, expires_at: int) -> None: ...

    def is_open(self, resident_id: str, session_id: str) -> bool: ...

    def close(self, resident_id: str, session_id: str) -> None: ...

    def close_all(self, resident_id: str) -> int: ...


class PushRegistry(Protocol):
    def register(self, platform: str, token: str, resident_id: str) -> str | None: ...

    def remove(self, endpoint_arn: str) -> None: ...


class DeliveryRecords(Protocol):
    def erase_contacts(self, contacts: Iterable[str]) -> int: ...


class ReplyRecords(Protocol):
    def forget_resident(self, resident_id: str) -> int: ...
