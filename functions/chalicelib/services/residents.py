"""Resident use cases: sign up, verify, sign in, manage preferences, export, erase, unsubscribe.

The answers never reveal whether an address is registered: signing up again with a known contact answers exactly as a
new signup does, and the contact is sent a sign-in link instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from ulid import ULID

from ..adapters.geocoding import DISTRICT_NOTE, Geocoder
from ..adapters.residents_store import ContactTaken, ResidentStore, SuppressionList
from ..domain.contacts import Contact, ContactHasher, ContactKind, mask
from ..domain.errors import FieldError, HexwatchError, invalid, rate_limited, unauthorised
from ..domain.geo import location_key
from ..domain.residents import (
    ACTIVE,
    OPTED_OUT,
    PENDING,
    Consent,
    ContactRecord,
    Device,
    Location,
    Resident,
    check_preferences,
)
from ..domain.tokens import TokenError, TokenSigner

SESSION = "session"
VERIFY = "verify"
SIGNIN = "signin"
UNSUBSCRIBE = "unsubscribe"

# (requests, window seconds) per action and scope. SMS pumping is a real cost, so per-contact limits are tight.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "signup.ip": (20, 3600),
    "signup.contact": (3, 3600),
    "verify.ip": (60, 3600),
    "verify.contact": (10, 3600),
    "signin.ip": (30, 3600),
    "signin.contact": (5, 3600),
}

# Unsubscribing from the messages a contact receives stops the channels that contact serves.
CHANNELS_SERVED_BY = {"email": ["email"], "mobile": ["sms", "voice"], "landline": ["voice"]}


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


@dataclass(frozen=True)
class ResidentSettings:
    notice_version: str
    session_ttl: int = 30 * 60
    verify_link_ttl: int = 48 * 3600
    signin_link_ttl: int = 15 * 60
    code_ttl: int = 15 * 60
    max_code_attempts: int = 5
    max_devices: int = 10
    rate_limits: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))


SIGNUP_ACCEPTED = ("Thank you. We have sent a link to your email address and/or a code to your mobile. "
                   "Your alerts start once you confirm.")
SIGNIN_ACCEPTED = "If that contact is registered, we have sent it a sign-in link or code."


def link_refused() -> HexwatchError:
    return invalid("That link is invalid or has expired. Ask for a new one.",
                   FieldError("/token", "is invalid or expired"))


def link_used() -> HexwatchError:
    return HexwatchError("That link has already been used. Ask for a new one.",
                         [FieldError("/token", "has already been used")], 410, "LinkUsed")


def already_verified(pointer: str) -> HexwatchError:
    return HexwatchError("This contact is already confirmed. Sign in to change your alerts.",
                         [FieldError(pointer, "is already confirmed")], 409, "AlreadyVerified")


def wrong_code() -> HexwatchError:
    # One answer for every failure (no such number, no code, wrong, expired, too many tries): it must not tell anyone
    # which numbers are registered.
    return invalid("That code is wrong or has expired. Check it, or ask for a new one.",
                   FieldError("/code", "is wrong or expired"))


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class DeliveryRecords(Protocol):
    def erase_contacts(self, contacts: Iterable[str]) -> int: ...


class ResidentService:
    def __init__(self, *, store: ResidentStore, suppressions: SuppressionList, hasher: ContactHasher,
                 signer: TokenSigner, geocoder: Geocoder, jobs: JobQueue, rate_counter: RateCounter,
                 push: PushRegistry, settings: ResidentSettings, clock: Callable[[], float],
                 links: RedeemedLinks, sessions: Sessions,
                 new_id: Callable[[], str] = lambda: str(ULID()), deliveries: DeliveryRecords | None = None,
                 sms_budget: SmsBudget | None = None) -> None:
        self._store = store
        self._suppressions = suppressions
        self._hasher = hasher
        self._signer = signer
        self._geocoder = geocoder
        self._jobs = jobs
        self._rates = rate_counter
        self._push = push
        self._settings = settings
        self._clock = clock
        self._new_id = new_id
        self._deliveries = deliveries
        self._links = links
        self._sessions = sessions
        self._sms_budget = sms_budget

    # ----- signup and verification -----

    def signup(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        contacts = self._contacts_of(body)
        self._limit("signup.ip", self._hasher.hash("ip:" + client_ip))
        for contact in contacts:
            self._limit("signup.contact", contact.hash)
        check_preferences(body["channels"], body["categories"], body.get("business_sectors", []),
                          {c.kind.value for c in contacts})
        locations = self._locate(body["locations"])
        if self._sms_budget is not None:
            self._sms_budget.charge(contacts)
        accepted = {"status": "pending", "message": SIGNUP_ACCEPTED,
                    "locations": [self._describe_location(loc, note) for loc, note in locations]}

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
            locations=[loc for loc, _ in locations],
            contacts=[ContactRecord(c.kind.value, c.address, c.hash) for c in contacts],
            consent=Consent(self._settings.notice_version, now), created_at=now, updated_at=now)
        try:
            self._store.create(resident)
        except ContactTaken:
            self._remind(contacts)
            return accepted
        for contact in contacts:
            if contact.kind is not ContactKind.LANDLINE:
                self._jobs.put({"type": VERIFY, "resident_id": resident.id, "contact_hash": contact.hash})
        return accepted

    def _remind(self, contacts: list[Contact]) -> None:
        """A verified contact signed up again: send it a way back in, nothing else."""
        for contact in contacts:
            owner = self._store.contact_owner(contact.hash)
            if owner is None or not owner.verified or contact.kind is ContactKind.LANDLINE:
                continue
            self._jobs.put({"type": SIGNIN, "resident_id": owner.resident_id, "contact_hash": contact.hash})

    def redeem(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        """An emailed link or an SMS code: verifies that contact and opens a session."""
        self._limit("verify.ip", self._hasher.hash("ip:" + client_ip))
        if "token" in body:
            pointer = "/token"
            resident_id, contact_hash = self._redeem_link(body["token"])
        else:
            pointer = "/code"
            contact = self._hasher.mobile(body["phone"])
            self._limit("verify.contact", contact.hash)
            resident_id, contact_hash = self._redeem_code(contact, body["code"])
        resident = self._store.get(resident_id)
        record = resident.contact(contact_hash) if resident else None
        if resident is None or record is None:
            raise invalid("That link or code is no longer valid.", FieldError(pointer, "is no longer valid"))
        if not record.verified_at:
            self._mark_verified(resident, record, pointer)
        return {"status": "verified", **self._session(resident.id)}

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

    def start_signin(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        self._limit("signin.ip", self._hasher.hash("ip:" + client_ip))
        contact = self._hasher.email(body["email"]) if "email" in body else self._hasher.mobile(body["phone"])
        self._limit("signin.contact", contact.hash)
        if self._sms_budget is not None:
            self._sms_budget.charge([contact])
        owner = self._store.contact_owner(contact.hash)
        # Only a verified contact can sign in: a claim nobody confirmed may be someone else's typing, and confirming it
        # from here would pull its real owner into that profile.
        if owner is not None and owner.verified:
            self._jobs.put({"type": SIGNIN, "resident_id": owner.resident_id, "contact_hash": contact.hash})
        return {"status": "sent", "message": SIGNIN_ACCEPTED}

    def authenticate(self, authorization: str | None) -> Resident:
        resident_id, _ = self._open_session(authorization)
        resident = self._store.get(resident_id)
        if resident is None:
            raise unauthorised()
        return resident

    def sign_out(self, authorization: str | None) -> None:
        """Ends this session only: the resident may be signed in elsewhere too."""
        self._sessions.close(*self._open_session(authorization))

    def _open_session(self, authorization: str | None) -> tuple[str, str]:
        """The resident and session id of a valid session token whose session is still open; 401 otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorised()
        try:
            claims = self._signer.verify(token.strip(), SESSION)
        except TokenError:
            raise unauthorised() from None
        resident_id, session_id = claims.get("sub"), claims.get("sid")
        if not isinstance(resident_id, str) or not isinstance(session_id, str):
            raise unauthorised()  # signed, but not a session we opened (sessions before server-side sessions)
        if not self._sessions.is_open(resident_id, session_id):
            raise unauthorised()
        return resident_id, session_id

    def _session(self, resident_id: str) -> dict[str, Any]:
        session_id = secrets.token_urlsafe(16)
        now = self._clock()
        self._sessions.open(resident_id, session_id, iso(now), int(now) + self._settings.session_ttl)
        token = self._signer.sign(SESSION, {"sub": resident_id, "sid": session_id}, self._settings.session_ttl)
        return {"session": token, "expires_in": self._settings.session_ttl}

    # ----- the resident's own account -----

    def view(self, resident: Resident) -> dict[str, Any]:
        return {
            "id": resident.id,
            "status": resident.status,
            "name": resident.name,
            "language": resident.language,
            "channels": resident.channels,
            "reachable_channels": resident.reachable_channels(),
            "categories": resident.categories,
            "business_sectors": resident.business_sectors,
            "groups": resident.groups,
            "locations": [self._describe_location(loc, None) for loc in resident.locations],
            "contacts": [{"kind": c.kind, "address": c.address, "verified": bool(c.verified_at)}
                         for c in resident.contacts],
            "devices": [{"id": d.id, "platform": d.platform, "label": d.label, "created_at": d.created_at}
                        for d in resident.devices],
        }

    def update(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        previous = replace(resident, locations=list(resident.locations))
        channels = body.get("channels", resident.channels)
        categories = body.get("categories", resident.categories)
        sectors = body.get("business_sectors", resident.business_sectors if "business" in categories else [])
        check_preferences(channels, categories, sectors, {c.kind for c in resident.contacts})
        if "locations" in body:
            resident.locations = [loc for loc, _ in self._locate(body["locations"])]
        resident.channels, resident.categories, resident.business_sectors = list(channels), list(categories), \
            list(sectors)
        resident.groups = list(body.get("groups", resident.groups))
        resident.language = body.get("language", resident.language)
        resident.name = body.get("name", resident.name)
        if resident.status == OPTED_OUT and ("channels" in body or "categories" in body):
            # Choosing channels again after opting out is opting back in, for the contacts that serve them.
            resident.status = ACTIVE
            for record in resident.contacts:
                served = CHANNELS_SERVED_BY[record.kind]
                if any(ch in channels for ch in served) and self._suppressions.reason(record.hash) == "opted_out":
                    self._suppressions.lift(record.hash)
        resident.updated_at = iso(self._clock())
        self._store.save(resident, previous)
        return self.view(resident)

    def export(self, resident: Resident) -> dict[str, Any]:
        """Everything held about the resident (subject access)."""
        return {
            **self.view(resident),
            "consent": {"notice_version": resident.consent.notice_version, "given_at": resident.consent.given_at,
                        "age_confirmed": resident.consent.age_confirmed},
            "locations": [vars(loc) for loc in resident.locations],
            "contacts": [{"kind": c.kind, "address": c.address, "verified_at": c.verified_at}
                         for c in resident.contacts],
            "devices": [{**vars(d), "token": d.token[:6] + "..."} for d in resident.devices],
            "suppressions": [{"contact": c.address, "reason": reason} for c in resident.contacts
                             if (reason := self._suppressions.reason(c.hash))],
            "created_at": resident.created_at,
            "updated_at": resident.updated_at,
            "purpose": "Used by the police for policing purposes only: alerts, appeals and crime prevention.",
        }

    def erase(self, resident: Resident) -> None:
        if self._deliveries is not None:
            # The alerts they were sent, found by contact: nothing of theirs stays in the delivery ledger either.
            self._deliveries.erase_contacts([c.hash for c in resident.contacts] + [f"push:{resident.id}"])
        for device in resident.devices:
            if device.endpoint_arn:
                self._push.remove(device.endpoint_arn)
        self._store.erase(resident, iso(self._clock()))
        # Every session of theirs ends, on every device, not just the one that asked.
        self._sessions.close_all(resident.id)

    def register_device(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        existing = next((d for d in resident.devices if d.token == body["token"]), None)
        if existing is not None:
            return {"id": existing.id, "platform": existing.platform, "push_enabled": "push" in resident.channels}
        if len(resident.devices) >= self._settings.max_devices:
            raise invalid("Too many devices: remove one first.", FieldError("/token", "device limit reached"))
        previous = replace(resident, devices=list(resident.devices))
        endpoint = self._push.register(body["platform"], body["token"], resident.id)
        device = Device(self._new_id(), body["platform"], body["token"], endpoint, body.get("label"),
                        iso(self._clock()))
        resident.devices.append(device)
        resident.updated_at = device.created_at
        self._store.save(resident, previous)
        return {"id": device.id, "platform": device.platform, "push_enabled": "push" in resident.channels}

    def purge_unverified(self, created_before: str) -> int:
        """Removes signups that never confirmed a contact. Nothing is suppressed: they never joined."""
        purged = 0
        for resident in self._store.scan_pending(created_before):
            if not any(c.verified_at for c in resident.contacts):
                self._store.delete_unverified(resident)
                purged += 1
        return purged

    # ----- unsubscribe -----

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

    # ----- helpers -----

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

    def _locate(self, requested: list[dict[str, Any]]) -> list[tuple[Location, str | None]]:
        located = []
        for index, wanted in enumerate(requested):
            if "postcode" in wanted:
                point = self._geocoder.geocode(wanted["postcode"])
                if point is None:
                    raise invalid("We could not find that postcode.",
                                  FieldError(f"/locations/{index}/postcode", "is not a known UK postcode"))
                lat, lng, precision, note = point.lat, point.lng, point.precision, point.note
            else:
                lat, lng, precision, note = float(wanted["lat"]), float(wanted["lng"]), "point", None
            key = location_key(lat, lng)
            located.append((Location(self._new_id(), wanted["label"], round(lat, 6), round(lng, 6), precision,
                                     key.partition, key.point_cell), note))
        return located

    @staticmethod
    def _describe_location(location: Location, note: str | None) -> dict[str, Any]:
        described: dict[str, Any] = {"id": location.id, "label": location.label, "lat": location.lat,
                                     "lng": location.lng, "precision": location.precision}
        if location.precision == "district":
            described["approximate"] = True
            described["note"] = note or DISTRICT_NOTE
        return described

    def _limit(self, rule: str, subject: str) -> None:
        limit, window = self._settings.rate_limits[rule]
        count, retry_after = self._rates.hit(f"{rule}#{subject}", window)
        if count > limit:
            raise rate_limited(retry_after)



