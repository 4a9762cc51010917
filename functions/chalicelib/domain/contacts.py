"""Residents' contacts: normalised, then known everywhere by a keyed hash rather than by the address itself.

The hash (HMAC-SHA256 with a secret key) lets uniqueness, suppression after erasure, reply matching and
de-duplication work without ever using a plain address as a key, and without the hashes being reversible by a
dictionary attack from someone who holds the tables but not the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from .errors import FieldError, invalid


class ContactKind(StrEnum):
    EMAIL = "email"
    MOBILE = "mobile"
    LANDLINE = "landline"


@dataclass(frozen=True)
class Contact:
    kind: ContactKind
    address: str  # normalised: lower-case email, or E.164 phone number
    hash: str


def normalise_email(value: str, pointer: str = "/email") -> str:
    address = value.strip()
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in address):
        raise invalid("That email address is not valid.", FieldError(pointer, "is not a valid email address"))
    # Domains are case-insensitive; local parts are in theory case-sensitive but no real provider treats them so,
    # and lower-casing stops one person signing up twice as Jo@ and jo@.
    return address.lower()


def normalise_phone(value: str, pointer: str, *, mobile: bool) -> str:
    """E.164 form of a UK or international number; `mobile` insists on a number that can receive SMS."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise invalid("That phone number is not valid.", FieldError(pointer, "is not a valid phone number")) from None
    if not phonenumbers.is_valid_number(number):
        raise invalid("That phone number is not valid.", FieldError(pointer, "is not a valid phone number"))
    kind = phonenumbers.number_type(number)
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if mobile and kind not in mobile_types:
        raise invalid("Text messages need a mobile number.", FieldError(pointer, "is not a mobile number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ContactHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the contact hash key must be at least 16 bytes")
        self._key = key

    def hash(self, normalised_address: str) -> str:
        return hmac.new(self._key, normalised_address.encode("utf-8"), hashlib.sha256).hexdigest()

    def code_digest(self, contact_hash: str, code: str) -> str:
        """A one-time code is stored only as an HMAC bound to its contact, so reading the table does not reveal it."""
        return hmac.new(self._key, f"code:{contact_hash}:{code}".encode(), hashlib.sha256).hexdigest()

    def email(self, value: str, pointer: str = "/email") -> Contact:
        address = normalise_email(value, pointer)
        return Contact(ContactKind.EMAIL, address, self.hash(address))

    def mobile(self, value: str, pointer: str = "/phone") -> Contact:
        address = normalise_phone(value, pointer, mobile=True)
        return Contact(ContactKind.MOBILE, address, self.hash(address))

    def landline(self, value: str, pointer: str = "/landline") -> Contact:
        address = normalise_phone(value, pointer, mobile=False)
        return Contact(ContactKind.LANDLINE, address, self.hash(address))


def mask(contact_kind: ContactKind | str, address: str) -> str:
    """What a page may show of an address: enough to recognise it, not enough to harvest it."""
    if ContactKind(contact_kind) is ContactKind.EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}*****{address[-3:]}"
