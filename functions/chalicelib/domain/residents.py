"""A resident, their preferences, and the rules that decide what they can receive. Pure: no AWS here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .contacts import ContactKind
from .errors import FieldError, invalid

PENDING = "pending"
ACTIVE = "active"
OPTED_OUT = "opted_out"

# A channel needs a verified contact of one of these kinds (push needs a registered device instead).
CHANNEL_CONTACT_KINDS = {
    "email": (ContactKind.EMAIL,),
    "sms": (ContactKind.MOBILE,),
    "voice": (ContactKind.LANDLINE, ContactKind.MOBILE),
}


@dataclass
class Location:
    id: str
    label: str
    lat: float
    lng: float
    precision: str  # "point" (pin, GPS or coordinates) or "district" (a postcode district centroid)
    partition: str
    point_cell: str


@dataclass
class ContactRecord:
    kind: str
    address: str
    hash: str
    verified_at: str | None = None


@dataclass
class Device:
    id: str
    platform: str
    token: str
    endpoint_arn: str | None
    label: str | None
    created_at: str


@dataclass
class Consent:
    notice_version: str
    given_at: str
    age_confirmed: bool = True


@dataclass
class Resident:
    id: str
    status: str
    language: str
    channels: list[str]
    categories: list[str]
    business_sectors: list[str]
    groups: list[str]
    locations: list[Location]
    contacts: list[ContactRecord]
    consent: Consent
    created_at: str
    updated_at: str
    name: str | None = None
    devices: list[Device] = field(default_factory=list)
    # The kinds of partner agency (domain/partners.py PARTNER_TYPES) that may alert this resident besides the
    # police. Empty, the default and what residents who joined before partners existed have, is police only.
    senders: list[str] = field(default_factory=list)

    def contact(self, contact_hash: str) -> ContactRecord | None:
        return next((c for c in self.contacts if c.hash == contact_hash), None)

    def verified(self, kind: ContactKind) -> ContactRecord | None:
        return next((c for c in self.contacts if c.kind == kind.value and c.verified_at), None)

    def reachable_channels(self) -> list[str]:
        """The chosen channels that alerts can actually use now: verified contact, or a registered device."""
        if self.status != ACTIVE:
            return []
        reachable = []
        for channel in self.channels:
            if channel == "push":
                if self.devices:
                    reachable.append(channel)
            elif any(self.verified(kind) for kind in CHANNEL_CONTACT_KINDS[channel]):
                reachable.append(channel)
        return reachable

    def targeting_attributes(self) -> dict[str, Any]:
        """What each location item carries so that targeting filters without a second read."""
        return {
            "resident_id": self.id,
            "channels": self.reachable_channels(),
            "categories": list(self.categories),
            "groups": list(self.groups),
            "business_sectors": list(self.business_sectors),
            "senders": list(self.senders),
            "language": self.language,
            "consent_version": self.consent.notice_version,
        }


def check_preferences(channels: list[str], categories: list[str], business_sectors: list[str],
                      contact_kinds: set[str]) -> None:
    """Rules that JSON Schema cannot say: sectors belong with the business category; a channel needs a contact."""
    errors = []
    if business_sectors and "business" not in categories:
        errors.append(FieldError("/business_sectors", "only applies when the business category is chosen"))
    for index, channel in enumerate(channels):
        kinds = CHANNEL_CONTACT_KINDS.get(channel)
        if kinds and not any(kind.value in contact_kinds for kind in kinds):
            needed = {"email": "an email address", "sms": "a mobile number",
                      "voice": "a landline or mobile number"}[channel]
            errors.append(FieldError(f"/channels/{index}", f"{channel} needs {needed}"))
    if errors:
        raise invalid("Some choices do not fit together.", *errors)
