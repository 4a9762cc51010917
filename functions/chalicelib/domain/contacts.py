"""Residents' contacts: normalised, then known everywhere by a keyed hash rather than by the address itself.

The hash (HMAC-SHA256 with a secret key) lets uniqueness, suppression after erasure, reply matching and
de-duplication work without ever using a plain address as a key, and without the hashes being reversible by a
dictionary attack from someone who holds the tables but not the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
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


# Names a resident recognises in an error message; any other region is shown by its ISO code.
REGION_NAMES = {"GB": "the UK", "GG": "Guernsey", "JE": "Jersey", "IM": "the Isle of Man", "IE": "Ireland"}


@dataclass(frozen=True)
class PhoneCountries:
    """The ISO regions whose numbers we text or call, e.g. `GB` or `GB,JE,GG,IM`.

    phonenumbers tells the Crown Dependencies' +44 ranges (Guernsey, Jersey, Isle of Man) apart from GB. They are not
    part of the UK and have their own police, so they count only when listed.
    """

    regions: frozenset[str] = field(default_factory=lambda: frozenset({"GB"}))

    @classmethod
    def parse(cls, setting: str | None) -> PhoneCountries:
        regions = frozenset(part.strip().upper() for part in (setting or "").split(",") if part.strip())
        # A typo such as "UK" would silently refuse every number: fail loudly when the services are wired instead.
        if unknown := regions - phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"not ISO regions phonenumbers knows: {', '.join(sorted(unknown))}")
        return cls(regions) if regions else cls()

    def allows(self, e164: str) -> bool:
        try:
            return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) in self.regions
        except phonenumbers.NumberParseException:
            return False

    def described(self) -> str:
        names = [REGION_NAMES.get(region, region) for region in sorted(self.regions, key=lambda r: (r != "GB", r))]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# Numbers a voice alert may call. Premium-rate, shared-cost and personal numbers are refused: each call to one of
# them would pay whoever rents it (toll fraud). UK 03 numbers are "universal access" numbers, charged as 01 and 02.
VOICE_TYPES = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
               phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.VOIP,
               phonenumbers.PhoneNumberType.UAN)
LANDLINE_PREFIXES = ("+441", "+442", "+443")  # 01, 02, 03: UK geographic and non-geographic landlines
MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalise_phone(value: str, pointer: str, *, mobile: bool, countries: PhoneCountries | None = None) -> str:
    """E.164 form of a number in `countries` (UK by default); `mobile` insists on a number that can receive SMS."""
    countries = countries or PhoneCountries()
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise invalid("That phone number is not valid.", FieldError(pointer, "is not a valid phone number")) from None
    if not phonenumbers.is_valid_number(number):
        raise invalid("That phone number is not valid.", FieldError(pointer, "is not a valid phone number"))
    kind = phonenumbers.number_type(number)
    if mobile and kind not in MOBILE_TYPES:
        raise invalid("Text messages need a mobile number.", FieldError(pointer, "is not a mobile number"))
    if not mobile and kind not in VOICE_TYPES:
        raise invalid("We cannot call premium-rate, shared-cost or personal numbers. Give a landline or mobile.",
                      FieldError(pointer, "is not a landline or mobile number"))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not countries.allows(e164):
        where = countries.described()
        what = "send texts to mobile numbers" if mobile else "call numbers"
        raise invalid(f"Sorry, we can only {what} in {where}. You can sign up with an email address instead.",
                      FieldError(pointer, f"must be a number in {where}"))
    return e164


class ContactHasher:
    def __init__(self, key: bytes, countries: PhoneCountries | None = None) -> None:
        if len(key) < 16:
            raise ValueError("the contact hash key must be at least 16 bytes")
        self._key = key
        self.countries = countries or PhoneCountries()

    def hash(self, normalised_address: str) -> str:
        return hmac.new(self._key, normalised_address.encode("utf-8"), hashlib.sha256).hexdigest()

    def code_digest(self, contact_hash: str, code: str) -> str:
        """A one-time code is stored only as an HMAC bound to its contact, so reading the table does not reveal it."""
        return hmac.new(self._key, f"code:{contact_hash}:{code}".encode(), hashlib.sha256).hexdigest()

    def email(self, value: str, pointer: str = "/email") -> Contact:
        address = normalise_email(value, pointer)
        return Contact(ContactKind.EMAIL, address, self.hash(address))

    def mobile(self, value: str, pointer: str = "/phone") -> Contact:
        address = normalise_phone(value, pointer, mobile=True, countries=self.countries)
        return Contact(ContactKind.MOBILE, address, self.hash(address))

    def landline(self, value: str, pointer: str = "/landline") -> Contact:
        """A UK geographic or non-geographic landline (01, 02 or 03): the only numbers we call to read a code, so a
        bot cannot make us ring premium, mobile or foreign numbers at the service's cost."""
        address = normalise_phone(value, pointer, mobile=False, countries=self.countries)
        if not address.startswith(LANDLINE_PREFIXES):
            raise invalid("Give a UK landline number starting 01, 02 or 03. Mobiles go in the mobile number box.",
                          FieldError(pointer, "must be a UK landline starting 01, 02 or 03"))
        return Contact(ContactKind.LANDLINE, address, self.hash(address))


def mask(contact_kind: ContactKind | str, address: str) -> str:
    """What a page may show of an address: enough to recognise it, not enough to harvest it."""
    if ContactKind(contact_kind) is ContactKind.EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}*****{address[-3:]}"
