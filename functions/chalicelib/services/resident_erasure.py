"""A resident leaving, wholly or in part: erasure (their own request, or infra/erase_resident.py), one-click
unsubscribe from a message's link, and the housekeeping purge of signups that never confirmed a contact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..domain.contacts import mask
from ..domain.errors import FieldError, invalid
from ..domain.residents import OPTED_OUT, Resident
from ..domain.tokens import TokenError, TokenSigner
from .resident_common import CHANNELS_SERVED_BY, UNSUBSCRIBE, iso
from .resident_ports import DeliveryRecords, PushRegistry, ReplyRecords, ResidentRecords, Sessions, Suppressions


class ResidentErasure:
    def __init__(self, *, store: ResidentRecords, suppressions: Suppressions, signer: TokenSigner,
                 push: PushRegistry, sessions: Sessions, clock: Callable[[], float],
                 deliveries: DeliveryRecords | None = None, replies: ReplyRecords | None = None) -> None:
        self._replies = replies
        self._store = store
        self._suppressions = suppressions
        self._signer = signer
        self._push = push
        self._sessions = sessions
        self._clock = clock
        self._deliveries = deliveries

    def erase(self, resident: Resident) -> None:
        if self._deliveries is not None:
            # The alerts they were sent, found by contact: nothing of theirs stays in the delivery ledger either.
            self._deliveries.erase_contacts([c.hash for c in resident.contacts] + [f"push:{resident.id}"])
        if self._replies is not None:
            # What they wrote to the police stays with the alert, as a witness's information held for policing
            # purposes until its own retention ends; who wrote it (resident id, contact) goes now.
            self._replies.forget_resident(resident.id)
        for device in resident.devices:
            if device.endpoint_arn:
                self._push.remove(device.endpoint_arn)
        self._store.erase(resident, iso(self._clock()))
        # Every session of theirs ends, on every device, not just the one that asked.
        self._sessions.close_all(resident.id)

    def purge_unverified(self, created_before: str) -> int:
        """Removes signups that never confirmed a contact. Nothing is suppressed: they never joined."""
        purged = 0
        for resident in self._store.scan_pending(created_before):
            if not any(c.verified_at for c in resident.contacts):
                self._store.delete_unverified(resident)
                purged += 1
        return purged

    def _unsubscribe_claims(self, token: str) -> tuple[Resident | None, str]:
        try:
            claims = self._signer.verify(token, UNSUBSCRIBE)
        except TokenError:
            raise invalid("That unsubscribe link is not valid.", FieldError("/token", "is invalid")) from None
        return self._store.get(str(claims["sub"])), str(claims["ch"])

    def unsubscribe_details(self, token: str) -> dict[str, Any]:
        resident, contact_hash = self._unsubscribe_claims(token)
        record = resident.contact(contact_hash) if resident else None
        if resident is None or record is None:
            return {"subscribed": False, "categories": [], "contact": None}
        served = CHANNELS_SERVED_BY[record.kind]
        return {"subscribed": any(ch in resident.reachable_channels() for ch in served),
                "contact": mask(record.kind, record.address), "categories": resident.categories}

    def unsubscribe(self, token: str, categories: list[str] | None) -> dict[str, Any]:
        resident, contact_hash = self._unsubscribe_claims(token)
        record = resident.contact(contact_hash) if resident else None
        if resident is None or record is None:
            # Already erased or removed: one-click unsubscribe must still succeed.
            return {"status": "unsubscribed"}
        previous = replace(resident, locations=list(resident.locations))
        if categories:
            resident.categories = [c for c in resident.categories if c not in categories]
            if "business" not in resident.categories:
                resident.business_sectors = []
        if not categories or not resident.categories:
            served = CHANNELS_SERVED_BY[record.kind]
            resident.channels = [ch for ch in resident.channels if ch not in served]
            self._suppressions.suppress(record.hash, "opted_out", iso(self._clock()))
        if not resident.reachable_channels() or not resident.categories:
            resident.status = OPTED_OUT
        resident.updated_at = iso(self._clock())
        self._store.save(resident, previous)
        return {"status": "unsubscribed" if resident.status == OPTED_OUT or not categories else "updated",
                "categories": resident.categories}
