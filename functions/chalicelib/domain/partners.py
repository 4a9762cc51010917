"""Partner agencies: who they are, what each may send, and how their requests are signed. Pure: no AWS here.

A partner (a council, Action Fraud, Crimestoppers, a watch scheme, a fire and rescue service) is registered by the
force that works with it (its host force), in the same server-side registry as the forces. It may send only within
what the host force allowed: some categories, some of the force's areas (or all of them) and some channels. A trusted
partner's alert goes out as an officer's would; a moderated partner's alert waits for an officer of the host force.

Requests are signed with HMAC-SHA256, as Stripe and GitHub sign their webhooks:

    Hexwatch-Signature: t=<unix seconds>,k=<secret id>,v1=<hex HMAC-SHA256 of "<t>.<signed payload>">

The signed payload of a POST is the raw body, byte for byte; a GET has no body, so its signed payload is the path
(`/v1/partners/{partner_id}/alerts/{alert_id}`), which keeps a signed read from being replayed against another alert.
A signature is good for five minutes either side of our clock. Two secrets may be active at once, so a partner can
move to a new one without a moment when its requests fail.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import FieldError, HexwatchError, forbidden
from .officers import Officer, Role

PARTNER_TYPES = ("council", "fraud", "crimestoppers", "watch_scheme", "fire_rescue", "other")
TRUSTED, MODERATED = "trusted", "moderated"
SIGNATURE_HEADER = "hexwatch-signature"
IDEMPOTENCY_HEADER = "idempotency-key"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_ACTIVE_SECRETS = 2
SECRET_ID = re.compile(r"^[a-z0-9]{4,16}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as HTTP header values carry it
_SIGNATURE_PART = re.compile(r"^(t|k|v1)=([^,=\s]{1,128})$")


@dataclass(frozen=True)
class SigningSecret:
    id: str
    secret: str  # never shown after it is made (services/partners.py hands it out once)
    created_at: str


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    partner_type: str
    host_force: str
    categories: tuple[str, ...]
    channels: tuple[str, ...]
    areas: tuple[str, ...] = ()
    whole_force: bool = False
    trust: str = MODERATED
    secrets: tuple[SigningSecret, ...] = field(default=())
    webhook_url: str | None = None  # where Hexwatch posts the events below (domain/webhooks.py), signed
    webhook_events: tuple[str, ...] = ()
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    @property
    def trusted(self) -> bool:
        return self.trust == TRUSTED

    def principal(self) -> Officer:
        """The partner as the alert rules see a sender: an officer of the host force whose reach is the partner's
        areas. A moderated partner is a volunteer, whose every alert waits for an officer's approval; a trusted one
        is an officer, whose costly sends (SMS and voice past the limit) still wait for a supervisor."""
        return Officer(sub=partner_user(self.id), username=self.name, organisation=self.host_force,
                       role=Role.OFFICER if self.trusted else Role.VOLUNTEER, areas=self.areas,
                       whole_organisation=self.whole_force)

    def without_secrets(self) -> Partner:
        return replace(self, secrets=())


def partner_user(partner_id: str) -> str:
    """The `sub` a partner's actions are recorded under: never a Cognito sub, which is a UUID."""
    return f"partner:{partner_id}"


def unsigned() -> HexwatchError:
    # One answer for every failure, so a caller learns nothing about which part was wrong.
    return HexwatchError("The request's signature is missing, wrong or too old.",
                         [FieldError("/headers/Hexwatch-Signature", "is missing, wrong or outside five minutes")],
                         401, "Unauthorized", {"WWW-Authenticate": 'HMAC-SHA256 realm="hexwatch-partners"'})


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def signature_header(secret_id: str, secret: str, timestamp: int, payload: bytes) -> str:
    """What a partner sends (docs/partners.md shows the same in Python and in curl with openssl)."""
    return f"t={timestamp},k={secret_id},v1={signature(secret, timestamp, payload)}"


def verify(header: str | None, payload: bytes, secrets: tuple[SigningSecret, ...], now: float) -> str:
    """The id of the secret that signed `payload`, or 401. Constant-time comparison; every doubt refuses."""
    if not header or len(header) > 400:
        raise unsigned()
    parts: dict[str, str] = {}
    for piece in header.split(","):
        match = _SIGNATURE_PART.match(piece.strip())
        if match is None or match.group(1) in parts:
            raise unsigned()
        parts[match.group(1)] = match.group(2)
    if set(parts) != {"t", "k", "v1"} or not parts["t"].isdigit() or len(parts["t"]) > 12:
        raise unsigned()
    timestamp = int(parts["t"])
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise unsigned()
    secret = next((s for s in secrets if s.id == parts["k"]), None)
    # Computed even when the id names no secret, so that the time taken does not say which ids exist.
    expected = signature(secret.secret if secret else "no-such-secret", timestamp, payload)
    if not hmac.compare_digest(expected.encode(), parts["v1"].encode()) or secret is None:
        raise unsigned()
    return secret.id


def idempotency_key(value: str | None) -> str:
    if not value:
        raise HexwatchError("Say which request this is: an Idempotency-Key header is required.",
                            [FieldError("/headers/Idempotency-Key", "is required")], 400, "BadRequest")
    if not IDEMPOTENCY_KEY.match(value):
        raise HexwatchError("The Idempotency-Key header is not valid.",
                            [FieldError("/headers/Idempotency-Key",
                                        "must be 1 to 255 printable ASCII characters without spaces")],
                            400, "BadRequest")
    return value


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_scope(partner: Partner, alert_body: dict[str, Any]) -> None:
    """403 naming each field outside the categories and channels the host force allowed. Where the alert is aimed is
    checked by the target resolver against the partner's areas (Partner.principal), as an officer's is."""
    errors = []
    if alert_body["category"] not in partner.categories:
        errors.append(FieldError("/category", "is not one of the categories this partner may send"))
    errors += [FieldError(f"/channels/{index}", "is not a channel this partner may use")
               for index, channel in enumerate(alert_body["channels"]) if channel not in partner.channels]
    if errors:
        raise forbidden("The alert is outside what this partner may send.", *errors)
