"""Signing up and confirming a contact, by an emailed link or a texted code.

The answers never reveal whether an address is registered: signing up again with a known contact answers exactly as a
new signup does, and the contact is sent a sign-in link instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..adapters.residents_store import ContactTaken
from ..domain.contacts import Contact, ContactHasher, ContactKind
from ..domain.errors import FieldError, invalid
from ..domain.residents import ACTIVE, PENDING, Consent, ContactRecord, Resident, check_preferences
from ..domain.tokens import TokenError, TokenSigner
from .resident_common import (
    SIGNIN,
    SIGNUP_ACCEPTED,
    VERIFY,
    Locator,
    RateLimiter,
    ResidentSettings,
    already_verified,
    describe_location,
    iso,
    link_refused,
    link_used,
    wrong_code,
)
from .resident_ports import JobQueue, RedeemedLinks, ResidentRecords, SmsBudget, Suppressions


class ResidentSignup:
    def __init__(self, *, store: ResidentRecords, suppressions: Suppressions, hasher: ContactHasher,
                 signer: TokenSigner, locator: Locator, jobs: JobQueue, limiter: RateLimiter, links: RedeemedLinks,
                 settings: ResidentSettings, clock: Callable[[], float], new_id: Callable[[], str],
                 open_session: Callable[[str], dict[str, Any]], sms_budget: SmsBudget | None = None) -> None:
        self._store = store
        self._suppressions = suppressions
        self._hasher = hasher
        self._signer = signer
        self._locator = locator
        self._jobs = jobs
        self._limiter = limiter
        self._links = links
        self._settings = settings
        self._clock = clock
        self._new_id = new_id
        # Redeeming a link or code signs the resident in (resident_signin.py owns sessions).
        self._start_session = open_session
        self._sms_budget = sms_budget

    def signup(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        contacts = self._contacts_of(body)
        self._limiter.check("signup.ip", self._hasher.hash("ip:" + client_ip))
        for contact in contacts:
            self._limiter.check("signup.contact", contact.hash)
        check_preferences(body["channels"], body["categories"], body.get("business_sectors", []),
                          {c.kind.value for c in contacts})
        locations = self._locator.locate(body["locations"])
        if self._sms_budget is not None:
            self._sms_budget.charge(contacts)
        accepted = {"status": "pending", "message": SIGNUP_ACCEPTED,
                    "locations": [describe_location(loc, note) for loc, note in locations]}

        # Only a verified contact is known: an unverified claim (perhaps someone else typing this address) never
        # blocks a signup nor draws it into that other profile; the new signup takes the claim over.
        known = [c for c in contacts if (owner := self._store.contact_owner(c.hash)) is not None and owner.verified]
        if known:
            self._remind(known)
            return accepted
        now = iso(self._clock())
        resident = Resident(
            id=self._new_id(), status=PENDING, name=body.get("name"), language=body.get("language", "en"),
            channels=list(body["channels"]), categories=list(body["categories"]),
            business_sectors=list(body.get("business_sectors", [])), groups=list(body.get("groups", [])),
            senders=list(body.get("senders", [])), locations=[loc for loc, _ in locations],
            contacts=[ContactRecord(c.kind.value, c.address, c.hash) for c in contacts],
            consent=Consent(self._settings.notice_version, now), created_at=now, updated_at=now)
        try:
            self._store.create(resident)
        except ContactTaken:
            self._remind(contacts)
            return accepted
        for contact in contacts:  # an email gets a link; a mobile a texted code; a landline a call reading one
            self._jobs.put({"type": VERIFY, "resident_id": resident.id, "contact_hash": contact.hash})
        return accepted

    def _remind(self, contacts: list[Contact]) -> None:
        """A verified contact signed up again: send it a way back in, nothing else."""
        for contact in contacts:
            owner = self._store.contact_owner(contact.hash)
            if owner is None or not owner.verified:
                continue
            self._jobs.put({"type": SIGNIN, "resident_id": owner.resident_id, "contact_hash": contact.hash})

    def redeem(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        """An emailed link or an SMS code: verifies that contact and opens a session."""
        self._limiter.check("verify.ip", self._hasher.hash("ip:" + client_ip))
        if "token" in body:
            pointer = "/token"
            resident_id, contact_hash = self._redeem_link(body["token"])
        else:
            pointer = "/code"
            contact = (self._hasher.landline(body["landline"]) if "landline" in body
                       else self._hasher.mobile(body["phone"]))
            self._limiter.check("verify.contact", contact.hash)
            resident_id, contact_hash = self._redeem_code(contact, body["code"])
        resident = self._store.get(resident_id)
        record = resident.contact(contact_hash) if resident else None
        if resident is None or record is None:
            raise invalid("That link or code is no longer valid.", FieldError(pointer, "is no longer valid"))
        if not record.verified_at:
            self._mark_verified(resident, record, pointer)
        return {"status": "verified", **self._start_session(resident.id)}

    def _redeem_link(self, token: str) -> tuple[str, str]:
        """The resident and contact of a verify or sign-in link, used up by this call: a link works once."""
        for purpose in (VERIFY, SIGNIN):
            try:
                claims = self._signer.verify(token, purpose)
            except TokenError:
                continue
            break
        else:
            raise link_refused()
        resident_id, contact_hash, expires = claims.get("sub"), claims.get("ch"), claims.get("exp")
        if not isinstance(resident_id, str) or not isinstance(contact_hash, str) or type(expires) is not int:
            raise link_refused()
        # Links from before links carried an id are told apart by their signature, which is unique to their claims.
        link_id = claims.get("jti") or token.rpartition(".")[2]
        if not self._links.redeem(f"{purpose}#{link_id}", expires):
            if purpose == VERIFY and self._is_verified(resident_id, contact_hash):
                raise already_verified("/token")
            raise link_used()
        return resident_id, contact_hash

    def _is_verified(self, resident_id: str, contact_hash: str) -> bool:
        owner = self._store.contact_owner(contact_hash)
        return owner is not None and owner.verified and owner.resident_id == resident_id

    def _redeem_code(self, contact: Contact, code: str) -> tuple[str, str]:
        """The owner of a live code, which this call clears; a wrong code is counted in the same kind of single
        conditional write, so parallel guesses cannot outrun the limit."""
        now, limit = self._clock(), self._settings.max_code_attempts
        resident_id = self._store.consume_code(contact.hash, self._hasher.code_digest(contact.hash, code), now, limit)
        if resident_id is None:
            self._store.count_wrong_code(contact.hash, now, limit)
            raise wrong_code()
        return resident_id, contact.hash

    def _mark_verified(self, resident: Resident, record: ContactRecord, pointer: str) -> None:
        # The contact joins this profile only if nobody else verified it first; a later signup's claim, if still
        # unverified, is taken over.
        if not self._store.claim_verified(record.hash, resident.id, record.kind):
            raise already_verified(pointer)
        previous = replace(resident, locations=list(resident.locations))
        now = iso(self._clock())
        record.verified_at = now
        if resident.status != ACTIVE:
            resident.status = ACTIVE
        resident.updated_at = now
        self._store.save(resident, previous)
        # Verifying again is fresh consent: a contact that once left may hear from us again.
        if self._suppressions.reason(record.hash) in ("opted_out", "erased"):
            self._suppressions.lift(record.hash)
        # Every newly confirmed email gets a welcome carrying its own unsubscribe link.
        if record.kind == ContactKind.EMAIL.value:
            self._jobs.put({"type": "welcome", "resident_id": resident.id, "contact_hash": record.hash})

    def _contacts_of(self, body: dict[str, Any]) -> list[Contact]:
        contacts = []
        if "email" in body:
            contacts.append(self._hasher.email(body["email"]))
        if "phone" in body:
            contacts.append(self._hasher.mobile(body["phone"]))
        if "landline" in body:
            landline = self._hasher.landline(body["landline"])
            if all(c.hash != landline.hash for c in contacts):
                contacts.append(landline)
        return contacts
